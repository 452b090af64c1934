import Testing
import Tokenization

@Suite("Byte-level alphabet")
struct ByteLevelTests {
  @Test("Printable bytes map to themselves, the other 68 to U+0100... in byte order")
  func mapping() {
    let table = ByteLevel.byteToScalar
    #expect(table.count == 256)
    #expect(Set(table).count == 256)
    var moved: [UInt8] = []
    for byte in 0 ... 255 {
      let printable = (0x21 ... 0x7E).contains(byte) || (0xA1 ... 0xAC).contains(byte) || (0xAE ... 0xFF).contains(byte)
      if printable {
        #expect(table[byte].value == UInt32(byte))
      } else {
        moved.append(UInt8(byte))
      }
    }
    #expect(moved.count == 68)
    for (n, byte) in moved.enumerated() { #expect(table[Int(byte)].value == 0x100 + UInt32(n)) }
    #expect(table[0x20] == "Ġ")
    #expect(table[0x0A] == "Ċ")
    #expect(table[0x09] == "ĉ")
    #expect(table[0xAD] == "Ń")  // the last of the 68: U+0100 + 67
  }

  @Test("Encoding bytes and decoding the text gives the bytes back, for every byte value")
  func roundTrip() {
    let all = (0 ... 255).map { UInt8($0) }
    let text = ByteLevel.encode(all)
    #expect(text.unicodeScalars.count == 256)
    #expect(ByteLevel.decode(text) == all)
    #expect(ByteLevel.encode(Array("Hello world\n".utf8)) == "HelloĠworldĊ")
  }

  @Test("Text with a character outside the alphabet does not decode")
  func outsideAlphabet() {
    #expect(ByteLevel.decode("Ġhello") == Array(" hello".utf8))
    #expect(ByteLevel.decode("a b") == nil)  // a real space is not in the alphabet
    #expect(ByteLevel.decode("日本") == nil)
    #expect(ByteLevel.byte(for: "\u{144}") == nil)
  }
}
