import Testing

@testable import Planner

@Suite struct DeviceOrdersTests {
  /// A catalog GPU renamed, with a given bandwidth (GB/s), so that types are easy to tell apart.
  static func gpu(_ name: String, bandwidth: Double = 500) -> GPU {
    var gpu = GPUCatalog.all[0]
    gpu.name = name
    gpu.bandwidthBytesPerSecond = bandwidth * 1e9
    return gpu
  }

  static func gpus(_ names: String...) -> [GPU] { names.map { gpu($0) } }

  /// The sequence of types an order visits.
  static func types(_ order: [Int], of gpus: [GPU]) -> [String] { order.map { gpus[$0].name } }

  /// n! / (c₁! c₂! …): the distinct orderings of a multiset.
  static func multinomial(_ names: [String]) -> Int {
    func factorial(_ n: Int) -> Int { (1...max(n, 1)).reduce(1, *) }
    let counts = Dictionary(names.map { ($0, 1) }, uniquingKeysWith: +).values
    return counts.reduce(factorial(names.count)) { $0 / factorial($1) }
  }

  /// Checks what every order must be: a permutation of the indices, with the cards of each
  /// type visited in index order.
  static func expectWellFormed(_ orders: [[Int]], of gpus: [GPU], _ context: String) {
    for order in orders {
      #expect(order.sorted() == Array(gpus.indices), "\(context): \(order) is not a permutation")
      for name in Set(gpus.map(\.name)) {
        let visited = order.filter { gpus[$0].name == name }
        #expect(visited == visited.sorted(), "\(context): \(name) cards out of index order in \(order)")
      }
    }
  }

  // MARK: - Up to six GPUs: every distinct sequence of types

  @Test func twoP4AndAT4GiveThreeOrders() throws {
    let gpus = [
      try #require(GPUList.lookup("P4")), try #require(GPUList.lookup("P4")),
      try #require(GPUList.lookup("T4")),
    ]
    let orders = DeviceOrders.orders(of: gpus)
    #expect(orders == [[0, 1, 2], [0, 2, 1], [2, 0, 1]])
  }

  @Test func threeTypesGiveSixOrdersGivenFirst() {
    let gpus = Self.gpus("B", "C", "A")
    let orders = DeviceOrders.orders(of: gpus)
    #expect(orders.count == 6)
    #expect(orders.first == [0, 1, 2])
    #expect(Set(orders).count == 6)
    Self.expectWellFormed(orders, of: gpus, "B C A")
  }

  @Test func oneTypeGivesOneOrder() {
    #expect(DeviceOrders.orders(of: Self.gpus("A", "A", "A", "A", "A", "A")) == [[0, 1, 2, 3, 4, 5]])
    #expect(DeviceOrders.orders(of: Self.gpus("A")) == [[0]])
  }

  /// Random lists of up to six GPUs of up to four types: each distinct sequence of types once,
  /// the given order first.
  @Test func everyDistinctSequenceOfTypesAppearsExactlyOnce() {
    let names = ["A", "B", "C", "D"]
    for seed in UInt64(0)..<200 {
      var rng = SplitMix64(seed: seed)
      let count = Int.random(in: 1...6, using: &rng)
      let typeCount = Int.random(in: 1...4, using: &rng)
      let gpus = (0..<count).map { _ in Self.gpu(names[Int.random(in: 0..<typeCount, using: &rng)]) }
      let given = gpus.map(\.name)
      let orders = DeviceOrders.orders(of: gpus)
      let sequences = orders.map { Self.types($0, of: gpus) }
      #expect(orders.first == Array(gpus.indices), "seed \(seed): \(given)")
      #expect(Set(sequences).count == sequences.count, "seed \(seed): \(given) repeats a sequence")
      #expect(orders.count == Self.multinomial(given), "seed \(seed): \(given) gives \(orders.count) orders")
      Self.expectWellFormed(orders, of: gpus, "seed \(seed)")
    }
  }

  // MARK: - Beyond six GPUs

  @Test func eightGPUsOfTwoTypesGiveTheTwoGroupOrders() {
    let gpus = Self.gpus("A", "A", "A", "A", "B", "B", "B", "B")
    #expect(DeviceOrders.orders(of: gpus) == [[0, 1, 2, 3, 4, 5, 6, 7], [4, 5, 6, 7, 0, 1, 2, 3]])
  }

  /// An interleaved given order is searched first, then the two group orders.
  @Test func interleavedEightGPUsGiveTheGivenOrderAndBothGroupOrders() {
    let gpus = Self.gpus("A", "B", "A", "B", "A", "B", "A", "B")
    let orders = DeviceOrders.orders(of: gpus)
    #expect(orders == [[0, 1, 2, 3, 4, 5, 6, 7], [0, 2, 4, 6, 1, 3, 5, 7], [1, 3, 5, 7, 0, 2, 4, 6]])
  }

  /// Five types on seven GPUs: all 5! orders of the groups.
  @Test func fiveTypesOnSevenGPUsGiveEveryGroupOrder() {
    let gpus = Self.gpus("A", "A", "B", "C", "D", "E", "E")
    let orders = DeviceOrders.orders(of: gpus)
    #expect(orders.count == 120)
    #expect(orders.first == Array(0..<7))
    Self.expectWellFormed(orders, of: gpus, "five types")
    for order in orders {
      // Each type's cards together.
      let sequence = Self.types(order, of: gpus)
      let runs = zip(sequence, sequence.dropFirst()).filter { $0 != $1 }.count + 1
      #expect(runs == 5, "\(sequence)")
    }
  }

  /// Seven types on seven GPUs: the given order and the order by bandwidth (fastest first, ties
  /// by name).
  @Test func sevenTypesGiveTheGivenAndTheBandwidthOrder() {
    let gpus = [
      Self.gpu("P", bandwidth: 300), Self.gpu("Q", bandwidth: 900), Self.gpu("R", bandwidth: 100),
      Self.gpu("T", bandwidth: 2000), Self.gpu("S", bandwidth: 2000), Self.gpu("U", bandwidth: 50),
      Self.gpu("V", bandwidth: 600),
    ]
    let orders = DeviceOrders.orders(of: gpus)
    #expect(orders.count == 2)
    #expect(orders.first == Array(0..<7))
    #expect(orders.last.map { Self.types($0, of: gpus) } == ["S", "T", "Q", "V", "P", "R", "U"])
  }

  /// Six types on eight GPUs (beyond the group limit): each type's cards together in the
  /// bandwidth order.
  @Test func sixTypesOnEightGPUsKeepEachTypeTogetherInTheBandwidthOrder() {
    let gpus = [
      Self.gpu("A", bandwidth: 100), Self.gpu("B", bandwidth: 200), Self.gpu("A", bandwidth: 100),
      Self.gpu("C", bandwidth: 300), Self.gpu("D", bandwidth: 400), Self.gpu("E", bandwidth: 500),
      Self.gpu("F", bandwidth: 600), Self.gpu("F", bandwidth: 600),
    ]
    let orders = DeviceOrders.orders(of: gpus)
    #expect(orders == [Array(0..<8), [6, 7, 5, 4, 3, 1, 0, 2]])
  }

  /// A bandwidth order that is the given order is not repeated.
  @Test func bandwidthOrderEqualToTheGivenOrderIsNotRepeated() {
    let gpus = (0..<7).map { Self.gpu("G\($0)", bandwidth: Double(1000 - $0)) }
    #expect(DeviceOrders.orders(of: gpus) == [Array(0..<7)])
  }

  // MARK: - Determinism

  @Test func ordersAreTheSameEveryTime() {
    for names in [
      ["A", "B", "A", "C", "B"], ["A", "B", "A", "B", "A", "B", "A", "B"],
      ["A", "B", "C", "D", "E", "F", "G"],
    ] {
      let gpus = names.map { Self.gpu($0) }
      let first = DeviceOrders.orders(of: gpus)
      #expect(DeviceOrders.orders(of: gpus) == first, "\(names)")
    }
  }
}
