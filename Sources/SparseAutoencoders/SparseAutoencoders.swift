// SparseAutoencoders
