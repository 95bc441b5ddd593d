// swift-tools-version: 6.2
import PackageDescription

let settings: [SwiftSetting] = [
  .treatAllWarnings(as: .error),
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
  name: "planner",
  products: [
    .library(name: "Planner", targets: ["Planner"]),
    .executable(name: "planner", targets: ["PlannerCLI"]),
  ],
  dependencies: [],
  targets: [
    .target(name: "Planner", swiftSettings: settings),
    .executableTarget(name: "PlannerCLI", dependencies: ["Planner"], swiftSettings: settings),
    .testTarget(
      name: "PlannerTests",
      dependencies: ["Planner", "PlannerCLI"],
      swiftSettings: settings
    ),
    // The public API only (`import Planner`, no `@testable`), with the README's example.
    .testTarget(name: "PlannerAPITests", dependencies: ["Planner"], swiftSettings: settings),
  ],
  swiftLanguageModes: [.v6]
)
