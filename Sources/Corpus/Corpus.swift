// Corpus
