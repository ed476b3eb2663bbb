"""Exchange with peer ISACs over TAXII 2.1: pulling their collections into reports and
pushing selected feeds to them through the fan-out outbox (docs/peers.md)."""
