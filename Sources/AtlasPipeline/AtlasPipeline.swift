// AtlasPipeline
