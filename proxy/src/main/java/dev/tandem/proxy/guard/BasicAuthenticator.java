package dev.tandem.proxy.guard;

import dev.tandem.conf.AccessRules;
import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;

/**
 * Basic auth for one site, as its config compiled it: the realm, and the htpasswd file in force. Remembered
 * answers and malformed or unknown credentials are decided at once on the event loop; anything else goes to
 * the bcrypt thread of {@link Htpasswds}.
 */
final class BasicAuthenticator {

    /** The outcome of a check: let in, refused (401), or not checked because the verifier is full (503). */
    enum Outcome { ALLOWED, REFUSED, BUSY }

    private static final CompletableFuture<Outcome> ALLOWED = CompletableFuture.completedFuture(Outcome.ALLOWED);
    private static final CompletableFuture<Outcome> REFUSED = CompletableFuture.completedFuture(Outcome.REFUSED);

    private final String challenge;
    private final HtpasswdFile file;
    private final Htpasswds htpasswds;
    private final GuardMetrics metrics;

    BasicAuthenticator(AccessRules.BasicAuth config, Htpasswds htpasswds, GuardMetrics metrics) {
        this.challenge = "Basic realm=\"" + config.realm() + "\", charset=\"UTF-8\"";
        this.file = htpasswds.obtain(config.htpasswd());
        this.htpasswds = htpasswds;
        this.metrics = metrics;
    }

    /** The {@code WWW-Authenticate} value of a 401. */
    String challenge() {
        return challenge;
    }

    /** Checks an {@code Authorization} value (null when there is none) from {@code client}; often already complete. */
    CompletableFuture<Outcome> check(String authorization, InetAddress client) {
        if (authorization == null || authorization.length() > Htpasswd.MAX_AUTHORIZATION_CHARS) {
            return REFUSED;
        }
        Htpasswd h = file.current();
        String key = Htpasswd.key(authorization);
        switch (h.remembered(key)) {
            case ALLOWED:
                return ALLOWED;
            case REFUSED:
                return REFUSED;
            default:
                break;
        }
        if (h.inspect(authorization) == Htpasswd.Quick.REFUSED) {
            return REFUSED;
        }
        return htpasswds.verify(h, key, authorization, client).thenApply(ok -> {
            metrics.verified(ok);
            return ok == null ? Outcome.BUSY : ok ? Outcome.ALLOWED : Outcome.REFUSED;
        });
    }
}
