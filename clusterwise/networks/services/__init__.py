"""Every write to networks: one function per use case, in a transaction, audited."""
