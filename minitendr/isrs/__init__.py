"""Registr smluv (zákon 340/2015 Sb.): the ISRS 1.2 messages that publish a sub-contract or an
amendment, the ZIP the kraj sends through its data box, the register's answer read back, and the list
of what falls due (30 days from signing, § 5 odst. 2)."""
