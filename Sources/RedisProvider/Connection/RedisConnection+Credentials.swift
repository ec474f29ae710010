import NIOCore
import RESP

extension RedisConnection {
    /// Authenticates this live connection again with fresh credentials from `provider`:
    /// `AUTH` goes out in order with the other commands, nothing in flight is dropped. When
    /// the server refuses them, the connection is closed (its next use reconnects, asking the
    /// provider again). A RESP2 subscriber connection cannot send `AUTH`; it keeps its first
    /// authentication.
    func reauthenticate(with provider: any RedisCredentialProvider, isSubscriber: Bool = false) async throws(RedisError) -> RedisCredentials? {
        guard !(isSubscriber && protocolVersion < 3) else { return nil }
        let credentials: RedisCredentials
        do {
            credentials = try await provider.credentials()
        } catch {
            throw RedisError(.authentication, "The credential provider (\(type(of: provider))) failed: \(error)", endpoint: endpoint.description)
        }
        let auth = credentials.username.map { RESPCommand("AUTH", $0, credentials.password) } ?? RESPCommand("AUTH", credentials.password)
        if isSubscriber {
            write(unanswered: [auth])  // answered through the push handler
            return credentials
        }
        if case .error(let e) = try await send(auth) {
            closeNow()
            throw RedisError(
                .authentication, "The server refused the provider's new credentials (\(e.code)); the connection was closed",
                endpoint: endpoint.description, serverError: e)
        }
        return credentials
    }

    /// While the connection is open, authenticates it again at four fifths of each
    /// credentials' validity; a failed attempt is tried again a tenth of it later.
    func keepAuthenticated(by provider: any RedisCredentialProvider, current: RedisCredentials, isSubscriber: Bool) {
        guard let validFor = current.validFor, validFor > .zero else { return }
        renewAuthentication(in: validFor * 0.8, retryingAfter: validFor / 10, provider, isSubscriber)
    }

    private func renewAuthentication(
        in delay: Duration, retryingAfter retry: Duration, _ provider: any RedisCredentialProvider, _ isSubscriber: Bool
    ) {
        let scheduled = channel.eventLoop.scheduleTask(in: TimeAmount(delay)) { [weak self] in
            guard let self, self.isActive else { return }
            Task {
                do throws(RedisError) {
                    guard let fresh = try await self.reauthenticate(with: provider, isSubscriber: isSubscriber) else { return }
                    self.keepAuthenticated(by: provider, current: fresh, isSubscriber: isSubscriber)
                } catch {
                    if self.isActive { self.renewAuthentication(in: retry, retryingAfter: retry, provider, isSubscriber) }
                }
            }
        }
        channel.closeFuture.whenComplete { _ in scheduled.cancel() }
    }
}
