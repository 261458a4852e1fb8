"""Síť služeb: the service network per ORP and needs area — the catalogue of local services of every
sector, the kraj's model of the network, coverage and gaps, on a map."""
