package dev.tandem.proxy.guard;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What a site's guard turned away: 403s (addresses), 401s (credentials), maintenance answers, and the bcrypt
 * checks it ran or could not run (the verifier was full).
 */
public final class GuardMetrics {

    private final Counter forbidden;
    private final Counter unauthorized;
    private final Counter maintenance;
    private final Counter verifiedOk;
    private final Counter verifiedRefused;
    private final Counter verifierBusy;

    public GuardMetrics(MeterRegistry registry, String site) {
        forbidden = denied(registry, site, "403");
        unauthorized = denied(registry, site, "401");
        maintenance = Counter.builder("tandem.maintenance.answers")
                .description("Requests answered with the maintenance page (503), by site")
                .tag("site", site).register(registry);
        verifiedOk = verification(registry, site, "ok");
        verifiedRefused = verification(registry, site, "refused");
        verifierBusy = verification(registry, site, "busy");
    }

    private static Counter denied(MeterRegistry registry, String site, String status) {
        return Counter.builder("tandem.access.denied")
                .description("Requests refused by a site's access rules: 403 by address, 401 by credentials")
                .tag("site", site).tag("status", status).register(registry);
    }

    private static Counter verification(MeterRegistry registry, String site, String result) {
        return Counter.builder("tandem.basic.auth.verifications")
                .description("bcrypt checks of basic-auth credentials not remembered: ok, refused, or busy"
                        + " (the verifier's queue was full and the request was turned away with 503)")
                .tag("site", site).tag("result", result).register(registry);
    }

    void forbidden() {
        forbidden.increment();
    }

    void unauthorized() {
        unauthorized.increment();
    }

    void maintenance() {
        maintenance.increment();
    }

    void verified(Boolean ok) {
        (ok == null ? verifierBusy : ok ? verifiedOk : verifiedRefused).increment();
    }
}
