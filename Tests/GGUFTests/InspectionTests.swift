import Foundation
import GGUF
import TestSupport
import Testing

@Suite("Inspection report")
struct InspectionTests {
  @Test("The tiny model's report has its dimensions, types, tokenizer and every key and tensor")
  func tinyModel() throws {
    let file = try GGUFFile(bytes: try GGUFWriter.tinyLlama().encoded())
    let inspection = GGUFInspection(file)
    #expect(inspection.architecture == "llama")
    #expect(inspection.name == "Tiny Llama")
    let d = inspection.dimensions
    #expect(d.blocks == 1 && d.dModel == 64 && d.ffnDim == 96 && d.heads == 4 && d.kvHeads == 2 && d.headDim == 16)
    #expect(d.ropeBase == 10_000 && d.rmsEpsilon == Double(Float(1e-5)) && d.contextLength == 128 && d.vocabSize == 8)
    #expect(inspection.tensorCount == 5)
    #expect(inspection.parameterCount == 8 * 64 + 64 + 64 * 64 + 64 + 64)
    #expect(inspection.types.map(\.type) == [.q4_1, .q8_0, .f32, .f16, .bf16])
    let q4 = try #require(inspection.types.first)
    #expect(q4.type == .q4_1 && q4.tensors == 1 && q4.parameters == 4096 && q4.bytes == 128 * 20)
    let tk = inspection.tokenizer
    #expect(tk.model == "gpt2" && tk.preTokenizer == "smollm" && tk.vocabularySize == 8 && tk.mergeCount == 2)
    #expect(tk.bos?.id == 1 && tk.bos?.text == "<|im_start|>" && tk.eos?.id == 2 && tk.eos?.text == "<|im_end|>")
    #expect(tk.unknown?.id == 0 && tk.padding?.id == 2)
    #expect(tk.controlTokens.map(\.id) == [0, 1, 2])
    #expect(tk.tokenTypeCounts == [3: 3, 1: 5])
    #expect(tk.addBOS == false && tk.addSpacePrefix == nil)
    #expect(inspection.hasChatTemplate)
    #expect(inspection.chatTemplateHead(lines: 2) == ["{% for message in messages %}", "{{ message['content'] }}"])
    #expect(inspection.metadata.map(\.key) == file.metadataKeys)
    let template = try #require(inspection.metadata.first { $0.key == GGUFKey.Tokenizer.chatTemplate })
    #expect(template.summary.hasPrefix("\"{% for message in messages %}\\n{{") && !template.summary.contains("\n"))

    let report = inspection.render()
    for phrase in [
      "GGUF v3", "architecture        llama", "heads               4 (head dim 16)",
      "kv heads            2 (2 query heads per KV head)", "rope base           10000", "rms epsilon         1e-05",
      "Q4_1", "control tokens      3:", "0 <|endoftext|>, 1 <|im_start|>, 2 <|im_end|>", "add BOS             false",
      "| {% for message in messages %}", "blk.0.attn_q.weight", "general.name", "\"Tiny Llama\"",
    ] {
      #expect(report.contains(phrase), "missing: \(phrase)")
    }
  }

  @Test("A file without architecture or tokenizer still gives a report")
  func bareFile() throws {
    let file = try GGUFFile(bytes: try GGUFWriter().tensor("w", shape: [2, 32], type: .q8_0, bytes: GGUFWriter.q8_0Blocks(2, seed: 4)).encoded())
    let inspection = GGUFInspection(file)
    let d = inspection.dimensions
    #expect(inspection.architecture == nil && d.blocks == nil && d.dModel == nil && d.heads == nil && d.vocabSize == nil)
    #expect(inspection.tokenizer.vocabularySize == 0 && !inspection.hasChatTemplate)
    let report = inspection.render()
    #expect(report.contains("architecture        -") && report.contains("Chat template: none") && report.contains("w "))
  }

  @Test("Block tensors group into ranges; gaps and odd names stay visible")
  func grouping() throws {
    var writer = GGUFWriter()
    for block in [0, 1, 2, 4] { writer = writer.tensor("blk.\(block).norm", shape: [4], float32: [1, 2, 3, 4]) }
    writer = writer.tensor("blk.3.norm", shape: [8], float32: Array(repeating: 0, count: 8))
      .tensor("blk.x.norm", shape: [4], float32: [1, 2, 3, 4])
    let groups = GGUFInspection(try GGUFFile(bytes: try writer.encoded())).tensorGroups
    #expect(groups.map(\.pattern) == ["blk.{0,1,2,4}.norm", "blk.3.norm", "blk.x.norm"])
    #expect(groups.map(\.count) == [4, 1, 1])
  }

  @Test("The SmolLM2 report matches the GGUF facts of BASELINES.md", .enabled(if: TestPaths.smolLM2 != nil))
  func realModel() throws {
    let inspection = GGUFInspection(try GGUFFile(url: try #require(TestPaths.smolLM2)))
    #expect(inspection.architecture == "llama")
    #expect(inspection.name == "Smollm2 135M 8k Lc100K Mix1 Ep2")
    #expect(inspection.fileType == 3)
    #expect(inspection.fileSize == 98_362_432)
    let d = inspection.dimensions
    #expect(d.blocks == 30 && d.dModel == 576 && d.ffnDim == 1536 && d.heads == 9 && d.kvHeads == 3 && d.headDim == 64)
    #expect(d.ropeBase == 100_000 && d.rmsEpsilon == Double(Float(1e-5)) && d.contextLength == 8192 && d.vocabSize == 49_152)
    #expect(inspection.tensorCount == 272)
    #expect(inspection.parameterCount == 134_515_008)
    #expect(inspection.types.map(\.type) == [.q4_1, .q8_0, .f32])
    #expect(inspection.types.map(\.tensors) == [210, 1, 61])
    #expect(inspection.types[1].parameters == 576 * 49_152)
    let tk = inspection.tokenizer
    #expect(tk.model == "gpt2" && tk.preTokenizer == "smollm")
    #expect(tk.vocabularySize == 49_152 && tk.mergeCount == 48_900)
    #expect(tk.bos?.id == 1 && tk.bos?.text == "<|im_start|>" && tk.eos?.id == 2 && tk.eos?.text == "<|im_end|>")
    #expect(tk.unknown?.id == 0 && tk.unknown?.text == "<|endoftext|>" && tk.padding?.id == 2)
    #expect(tk.controlTokens.map(\.id) == Array(0 ... 16))
    #expect(tk.controlTokens.map(\.text).prefix(4) == ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<repo_name>"])
    #expect(tk.tokenTypeCounts == [1: 49_135, 3: 17])
    #expect(tk.addBOS == false && tk.addSpacePrefix == false)
    #expect(inspection.chatTemplate?.contains("You are a helpful AI assistant named SmolLM, trained by Hugging Face") == true)
    #expect(inspection.tensorGroups.count == 1 + 9 + 1)
    #expect(inspection.tensorGroups.contains { $0.pattern == "blk.{0..29}.attn_q.weight" && $0.type == .q4_1 && $0.count == 30 })

    let report = inspection.render()
    for phrase in [
      "SmolLM2-135M-Instruct.Q4_1.gguf", "98,362,432 bytes", "272 tensors", "MOSTLY_Q4_1", "134,515,008",
      "ffn                 1536", "3 (3 query heads per KV head)", "rope base           100000", "rms epsilon         1e-05",
      "context length      8192", "vocab size          49152", "49,152 tokens, 48,900 merges", "49,135 normal, 17 control",
      "BOS / EOS           1 <|im_start|> / 2 <|im_end|>", "UNK / PAD           0 <|endoftext|> / 2 <|im_end|>",
      "16 <empty_output>", "| {% for message in messages %}", "blk.{0..29}.ffn_down.weight", "[1536, 576] x 30",
      "token_embd.weight", "tokenizer.ggml.merges",
    ] {
      #expect(report.contains(phrase), "missing: \(phrase)")
    }
    #expect(report.split(separator: "\n").allSatisfy { $0.count <= 110 })
  }
}
