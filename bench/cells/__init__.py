"""One cell of the grid, method or reference: its protocol, how it trains, scores and describes itself."""
