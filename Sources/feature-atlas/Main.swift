import FeatureAtlasCLI
import TensorMath

@main
struct Main {
  static func main() async {
    KernelSelection.ensureFastKernels()
    await FeatureAtlasCommand.main()
  }
}
