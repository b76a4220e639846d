"""The IP registry: issuers, their financials, IP assets, valuations, licences, receipts, pledges."""
