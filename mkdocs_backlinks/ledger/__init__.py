"""The relationship ledger: its records, merges, file format and git merge driver."""
