/// Which process answers on a port, from its `INFO server` reply.
///
/// A port chosen free can be taken by another server before the one just started binds it
/// (tests start many at once); that one then exits with "Address already in use" while the
/// other answers PING in its place. Comparing `process_id` with the started process tells
/// them apart.
package enum ServerIdentity {
    /// The `process_id` field of an `INFO` reply, or `nil` when it has none.
    package static func processID(inInfo text: String) -> Int32? {
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("process_id:") {
            return Int32(line.dropFirst("process_id:".count).filter { !$0.isWhitespace })
        }
        return nil
    }
}
