"""A cell's data: corpus splits prepared as its config says (subsample, vocabulary, embeddings) and batched."""
