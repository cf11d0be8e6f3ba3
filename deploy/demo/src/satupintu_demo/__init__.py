"""SatuPintu live demo traffic: simulated agency systems and citizens (see deploy/demo/README.md)."""
