// FeatureAnalysis
