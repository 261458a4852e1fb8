"""Výsledky: what a sub-contract achieved against the demand's expected outcome — recorded by OSPOD
when it ends, with what followed (from the kraj's list of follow-ups), and the provider's final report;
outcome rates per ORP × needs area × category and per provider."""
