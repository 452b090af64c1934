import FeatureAtlasCLI

@main
struct Main {
  static func main() async {
    await FeatureAtlasCommand.main()
  }
}
