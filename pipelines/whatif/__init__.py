"""What-if savings: caching, batch, model swaps and self-hosting, priced on the traffic already priced."""
