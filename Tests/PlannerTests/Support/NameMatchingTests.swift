import Testing

@testable import Planner

@Suite struct NameMatchingTests {
  @Test func vendorWordsAreRemovedWherever() {
    let words = GPUList.vendorWords
    #expect(NameMatching.normalized("NVIDIA GeForce RTX 4090", ignoring: words) == "4090")
    #expect(NameMatching.normalized("AMD Instinct MI300X", ignoring: words) == "mi300x")
    #expect(NameMatching.normalized("RTX 6000 Ada Generation", ignoring: words) == "6000adageneration")
    #expect(NameMatching.normalized("rtx", ignoring: words) == "")
    #expect(NameMatching.normalized("Tesla-P4", ignoring: []) == "teslap4")
  }

  /// Ties in edit distance go to the spelling sharing the longer start with the query.
  @Test func tiesPreferASharedPrefix() {
    let candidates = [(name: "B", spellings: ["xb12"]), (name: "A", spellings: ["ab12"])]
    // "ab13" is one edit from "ab12" and two from "xb12".
    #expect(
      NameMatching.closest(to: "ab13", among: candidates, ignoring: [], closeOnly: false) == ["A", "B"])
    // "zb12" is one edit from both: catalog order without the prefix rule, prefix length 0 either way.
    #expect(
      NameMatching.closest(to: "zb12", among: candidates, ignoring: [], closeOnly: false) == ["B", "A"])
    // "ab1" is one edit from "ab12" (shares 3) and two from "xb12".
    let tie = [(name: "C", spellings: ["cab1"]), (name: "A", spellings: ["ab12"])]
    #expect(NameMatching.closest(to: "ab1", among: tie, ignoring: [], closeOnly: false) == ["A", "C"])
  }

  /// With `closeOnly`, names differing in more than half their characters are dropped.
  @Test func closeOnlyDropsUnrelatedNames() {
    let candidates = [(name: "P100", spellings: ["p100"]), (name: "V100", spellings: ["v100"])]
    #expect(NameMatching.closest(to: "MI300X", among: candidates, ignoring: [], closeOnly: true).isEmpty)
    #expect(NameMatching.closest(to: "MI300X", among: candidates).count == 2)
    #expect(
      NameMatching.closest(to: "P10", among: candidates, ignoring: [], closeOnly: true) == ["P100", "V100"])
  }
}
