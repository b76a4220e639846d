"""The IP registry: issuers, financials, IP assets, valuations, licences, receipts, pledges."""
