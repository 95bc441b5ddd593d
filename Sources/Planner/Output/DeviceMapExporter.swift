/// Writes a plan's `device_map` as the JSON object transformers' `from_pretrained(device_map=...)`
/// takes: module name to GPU index, `"cpu"` or `"disk"`, in module order.
///
///     {
///       "llm.model.embed_tokens": 0,
///       "llm.lm_head": 1
///     }
public enum DeviceMapExporter {
  /// - Complexity: O(*m*) for *m* map entries.
  public static func render(_ plan: DeviceMapLayout) -> String {
    let entries = plan.deviceMap.map { entry in
      let value = entry.device.isGPU ? entry.device.description : "\"\(entry.device)\""
      return "  \(JSONExporter.quoted(entry.module)): \(value)"
    }
    return "{\n" + entries.joined(separator: ",\n") + "\n}\n"
  }
}
