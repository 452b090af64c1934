// The text report of `feature-atlas inspect MODEL`: sections in the order a reader asks the questions
// (what is it, how big, how is it stored, how does it tokenize, what exactly is in the file).

extension GGUFInspection {
  /// A readable multi-line report, about 90 columns wide.
  public func render() -> String {
    var out: [String] = []
    func row(_ label: String, _ value: String) { out.append("  " + label.padding(20) + value) }

    let fileName = source.split(separator: "/").last.map(String.init) ?? source
    out.append(fileName)
    out.append("  GGUF v\(version), \(grouped(fileSize)) bytes (\(mebibytes(fileSize))), \(metadata.count) metadata keys, "
      + "\(tensorCount) tensors, alignment \(alignment)")
    if fileName != source { out.append("  from \(source)") }

    out.append("")
    out.append("Model")
    row("architecture", architecture ?? "-")
    row("name", name ?? "-")
    row("file type", fileType.map { "\($0)" + (GGUFInspection.fileTypeNames[$0].map { " (\($0))" } ?? "") } ?? "-")
    row("parameters", "\(grouped(parameterCount)) (\(millions(parameterCount)))")

    out.append("")
    out.append("Dimensions")
    let d = dimensions
    row("blocks", text(d.blocks))
    row("d_model", text(d.dModel))
    row("ffn", text(d.ffnDim))
    row("heads", text(d.heads) + (d.headDim.map { " (head dim \($0))" } ?? ""))
    var kv = text(d.kvHeads)
    if let h = d.heads, let k = d.kvHeads, k > 0, h % k == 0 { kv += " (\(h / k) query heads per KV head)" }
    row("kv heads", kv)
    row("rope base", d.ropeBase.map(number) ?? "-")
    row("rms epsilon", d.rmsEpsilon.map(number) ?? "-")
    row("context length", text(d.contextLength))
    row("vocab size", text(d.vocabSize))

    out.append("")
    out.append("Tensor types")
    out.append("  " + "type".padding(8) + "tensors".leftPadded(8) + "parameters".leftPadded(16) + "bytes".leftPadded(16))
    for t in types {
      out.append("  " + t.type.description.padding(8) + grouped(t.tensors).leftPadded(8)
        + grouped(t.parameters).leftPadded(16) + grouped(t.bytes).leftPadded(16))
    }
    out.append("  " + "total".padding(8) + grouped(tensorCount).leftPadded(8) + grouped(parameterCount).leftPadded(16)
      + grouped(types.reduce(0) { $0 + $1.bytes }).leftPadded(16))

    out.append("")
    out.append("Tokenizer")
    let tk = tokenizer
    row("model", (tk.model ?? "-") + (tk.preTokenizer.map { ", pre-tokenizer \($0)" } ?? ""))
    row("vocabulary", "\(grouped(tk.vocabularySize)) tokens, \(grouped(tk.mergeCount)) merges")
    let typeNames = [1: "normal", 2: "unknown", 3: "control", 4: "user-defined", 5: "unused", 6: "byte"]
    if !tk.tokenTypeCounts.isEmpty {
      row("token types", tk.tokenTypeCounts.sorted { $0.key < $1.key }
        .map { "\(grouped($0.value)) \(typeNames[$0.key] ?? "type \($0.key)")" }.joined(separator: ", "))
    }
    row("BOS / EOS", "\(describe(tk.bos)) / \(describe(tk.eos))")
    row("UNK / PAD", "\(describe(tk.unknown)) / \(describe(tk.padding))")
    row("add BOS", tk.addBOS.map { "\($0)" } ?? "-")
    row("add space prefix", tk.addSpacePrefix.map { "\($0)" } ?? "-")
    if !tk.controlTokens.isEmpty {
      row("control tokens", "\(tk.controlTokens.count):")
      var line = ""
      for token in tk.controlTokens {
        let item = "\(token.id) \(token.text)"
        if !line.isEmpty, line.count + item.count + 2 > 66 {
          out.append("    " + "".padding(18) + line + ",")
          line = ""
        }
        line += (line.isEmpty ? "" : ", ") + item
      }
      out.append("    " + "".padding(18) + line)
    }

    out.append("")
    if let template = chatTemplate {
      let lines = template.split(separator: "\n", omittingEmptySubsequences: false).count
      out.append("Chat template (\(grouped(template.count)) characters, \(lines) lines; first lines)")
      for line in chatTemplateHead(lines: 3, width: 86) { out.append("  | " + line) }
    } else {
      out.append("Chat template: none")
    }

    out.append("")
    out.append("Tensors (\(tensorCount), grouped over blocks; dimensions innermost first)")
    let width = min(44, (tensorGroups.map(\.pattern.count).max() ?? 0) + 2)
    for g in tensorGroups {
      out.append("  " + g.pattern.padding(width) + g.type.description.padding(8)
        + "[" + g.dimensions.map(String.init).joined(separator: ", ") + "]" + (g.count > 1 ? " x \(g.count)" : ""))
    }

    out.append("")
    out.append("Metadata (\(metadata.count) keys)")
    let keyWidth = min(44, (metadata.map(\.key.count).max() ?? 0) + 2)
    for entry in metadata { out.append("  " + entry.key.padding(keyWidth) + entry.summary) }
    return out.joined(separator: "\n") + "\n"
  }

  /// llama.cpp's `llama_ftype` names for general.file_type (gguf-py `LlamaFileType`).
  static let fileTypeNames: [Int: String] = [
    0: "ALL_F32", 1: "MOSTLY_F16", 2: "MOSTLY_Q4_0", 3: "MOSTLY_Q4_1", 7: "MOSTLY_Q8_0", 8: "MOSTLY_Q5_0",
    9: "MOSTLY_Q5_1", 10: "MOSTLY_Q2_K", 11: "MOSTLY_Q3_K_S", 12: "MOSTLY_Q3_K_M", 13: "MOSTLY_Q3_K_L",
    14: "MOSTLY_Q4_K_S", 15: "MOSTLY_Q4_K_M", 16: "MOSTLY_Q5_K_S", 17: "MOSTLY_Q5_K_M", 18: "MOSTLY_Q6_K",
    32: "MOSTLY_BF16",
  ]
}

// MARK: - Formatting

private func text(_ value: Int?) -> String { value.map { "\($0)" } ?? "-" }

private func describe(_ token: GGUFInspection.Token?) -> String {
  token.map { "\($0.id) \($0.text)" } ?? "-"
}

/// A float32 metadata value as its shortest float32 spelling (1e-05, not 9.999999747378752e-06).
private func number(_ value: Double) -> String {
  if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
  if let f = Float(exactly: value) { return "\(f)" }
  return "\(value)"
}

/// 134515008 -> "134,515,008".
func grouped(_ n: Int) -> String {
  let digits = String(n.magnitude)
  var out = ""
  for (i, c) in digits.enumerated() {
    if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
    out.append(c)
  }
  return (n < 0 ? "-" : "") + out
}

private func mebibytes(_ bytes: Int) -> String {
  let tenths = (bytes * 10 + (1 << 19)) >> 20
  return "\(tenths / 10).\(tenths % 10) MiB"
}

private func millions(_ n: Int) -> String {
  let tenths = (n + 50_000) / 100_000
  return "\(tenths / 10).\(tenths % 10) M"
}

extension String {
  fileprivate func padding(_ width: Int) -> String {
    count >= width ? self + " " : self + String(repeating: " ", count: width - count)
  }
  fileprivate func leftPadded(_ width: Int) -> String {
    count >= width ? " " + self : String(repeating: " ", count: width - count) + self
  }
}
