import FluidModel
import XCTest

/// The shipped weight files load, hold their connectivity, and evaluate as their metadata says.
final class EvalShippedModelsTests: XCTestCase {
    func testShippedFilesAgreeWithTheirMetadata() throws {
        let test = try NetFixtures.loadMNIST(.test)
        for kind in ModelKind.allCases {
            let path = NetFixtures.repoRoot + "/Assets/models/\(kind.rawValue).safetensors"
            let file = try ModelFile.load(path: path)
            XCTAssertEqual(file.kind, kind, path)
            XCTAssertNil(file.weights.maskViolation(file.connectivity), path)
            if kind == .dynamic { XCTAssertEqual(file.connectivity, .triangular) }
            if kind == .static { XCTAssertEqual(file.connectivity, .dense) }
            let subnets: [Subnet] = kind == .static ? [.s100] : kind == .dynamic ? [.s25, .s50, .s75, .s100] : Subnet.all
            for s in subnets {
                let claimed = try XCTUnwrap(file.metadata["acc_\(s.name)"].flatMap(Double.init), "\(path) acc_\(s.name)")
                let measured = Evaluator.accuracy(of: file.weights, subnet: s, on: test, limit: 1000)
                // 1000 images: sampling error ~0.3 %; the first 1000 are a little easier than the rest.
                XCTAssertEqual(measured, claimed, accuracy: 0.02, "\(kind) \(s): metadata \(claimed), measured \(measured)")
            }
        }
    }
}
