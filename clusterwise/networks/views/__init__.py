"""Thin views: parse input, call a service or a selector, render. One module per part."""
