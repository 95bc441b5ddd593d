/// What limits a piece of work: the GPU's memory bandwidth, its arithmetic, the host issuing it,
/// or a link.
public enum Bound: String, Sendable, Hashable, Codable {
  case memory = "memory bandwidth"
  case compute
  case host = "host overhead"
  case link
}
