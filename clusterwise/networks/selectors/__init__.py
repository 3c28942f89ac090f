"""Every read of networks, always through the scope layer, one module per part."""
