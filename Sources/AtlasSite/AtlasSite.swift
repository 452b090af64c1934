// AtlasSite
