import AtlasPipeline
import Foundation
import Testing

/// Fixing a printed PDF's dates in place: same length, valid offsets, same bytes for two prints.
@Suite("PDF stamp")
struct PDFStampTests {
  func pdf(date: String, id: String? = "0123456789ABCDEF") -> Data {
    var text = "%PDF-1.4\n1 0 obj\n<</Producer (Skia/PDF m156)\n/CreationDate (\(date))\n/ModDate (\(date))>>\nendobj\n"
    text += "2 0 obj\n<</Type /Pages /Count 2 /Kids [3 0 R 4 0 R]>>\nendobj\n3 0 obj\n<</Type /Page>>\nendobj\n4 0 obj\n<</Type /Page>>\nendobj\n"
    text += "trailer\n<</Size 5\(id.map { " /ID [<\($0)> <\($0)>]" } ?? "")>>\n%%EOF\n"
    return Data(text.utf8)
  }

  @Test("Dates become the atlas's time, lengths kept, so two prints give the same bytes")
  func dates() throws {
    let first = try PDFStamp.stamp(pdf(date: "D:20261205145236+00'00'"), timestamp: "2025-01-02T03:04:05Z")
    let second = try PDFStamp.stamp(pdf(date: "D:20261205150101+00'00'"), timestamp: "2025-01-02T03:04:05Z")
    #expect(first == second)
    #expect(first.count == pdf(date: "D:20261205145236+00'00'").count)
    let text = String(decoding: first, as: UTF8.self)
    #expect(text.contains("/CreationDate (D:20250102030405+00'00')"))
    #expect(text.contains("/ModDate (D:20250102030405+00'00')"))
    #expect(!text.contains("0123456789ABCDEF"), "the file identifier is replaced by a digest")
    let z = try PDFStamp.stamp(pdf(date: "D:20261205145236Z", id: nil), timestamp: "2025-01-02T03:04:05Z")
    #expect(String(decoding: z, as: UTF8.self).contains("/CreationDate (D:20250102030405Z)"))
    #expect(PDFStamp.pageCount(first) == 2)
  }

  @Test("Bad input is an error that says what was expected")
  func errors() {
    #expect(throws: PDFStamp.StampError.notPDF(firstBytes: "<html>")) { try PDFStamp.stamp(Data("<html>".utf8), timestamp: "2025-01-02T03:04:05Z") }
    #expect(throws: PDFStamp.StampError.badTimestamp("yesterday")) { try PDFStamp.stamp(pdf(date: "D:20261205145236Z"), timestamp: "yesterday") }
    #expect(throws: PDFStamp.StampError.unexpectedDate(key: "/CreationDate", found: "Thursday")) {
      try PDFStamp.stamp(pdf(date: "Thursday"), timestamp: "2025-01-02T03:04:05Z")
    }
  }
}
