"""Deals: securitization structures, pools, servicer reports, waterfall, risk and search."""
