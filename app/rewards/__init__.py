"""Royalties, referrals, points and payouts, all posted to the ledger (app/ledger).

Who is owed what is only ever the ledger's balances; the tables here say why (a sale, an award, a payout line).
The accounts per brand and member: ``earnings`` (royalties and commissions, payable), ``payout_pending`` (locked
in an open batch) and ``points``; the brand's side of each posting is one of its own accounts (see
app.ledger.models.AccountKind). Amounts and rounding: app/rewards/money.py.

The use cases, one module each: terms, sales (and sales_import), referrals, points, payouts, statements."""
