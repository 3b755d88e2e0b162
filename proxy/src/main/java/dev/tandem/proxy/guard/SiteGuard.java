package dev.tandem.proxy.guard;

import dev.tandem.conf.AccessRules;
import dev.tandem.conf.Maintenance;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;

/**
 * What a site asks of a request before serving it, in this order: maintenance (503 with {@code Retry-After}
 * to everyone outside its allow list, as nginx's {@code return 503} in the rewrite phase comes before
 * {@code allow}/{@code deny}), then the address rules (403), then basic auth (401 with the realm). Also the
 * site's pages for whatever Tandem answers on its behalf.
 *
 * <p>Immutable, compiled with the config; the run-time maintenance switch is read per request.
 */
public final class SiteGuard {

    private final String site;
    private final Maintenance maintenance;
    private final MaintenanceSwitches switches;
    private final AccessRules access;
    private final BasicAuthenticator auth;
    private final SitePages pages;
    private final GuardMetrics metrics;
    private final String retryAfter;

    /** @param site the name maintenance is switched by at run time (a site's name) */
    SiteGuard(String site, Maintenance maintenance, AccessRules access, MaintenanceSwitches switches,
              BasicAuthenticator auth, SitePages pages, GuardMetrics metrics) {
        this.site = site;
        this.maintenance = maintenance;
        this.switches = switches;
        this.access = access;
        this.auth = auth;
        this.pages = pages;
        this.metrics = metrics;
        this.retryAfter = Long.toString(Math.max(1, maintenance.retryAfter().toSeconds()));
    }

    /** The site's pages, for Tandem's own answers on its behalf. */
    public SitePages pages() {
        return pages;
    }

    /** Whether maintenance is on for this site now (the config, or a switch at run time over it). */
    public boolean maintenanceOn() {
        return switches.on(site, maintenance.enabled());
    }

    /** Whether a request must be looked at (the client's address worked out) at all: most sites need not. */
    public boolean guards() {
        return !access.isOpen() || maintenanceOn();
    }

    /** Lets {@code x} through, or answers it; an answer that needs bcrypt comes back on {@code x}'s event loop. */
    public void admit(GuardedExchange x) {
        InetAddress client = x.client();
        if (maintenanceOn() && !maintenance.allows(client)) {
            metrics.maintenance();
            HttpHeaders h = new DefaultHttpHeaders().set(HttpHeaderNames.RETRY_AFTER, retryAfter);
            x.answer(HttpResponseStatus.SERVICE_UNAVAILABLE, pages.maintenance(), h);
            return;
        }
        if (!access.admits(client)) {
            metrics.forbidden();
            x.answer(HttpResponseStatus.FORBIDDEN, pages.page(403), null);
            return;
        }
        if (auth == null) {
            x.pass();
            return;
        }
        CompletableFuture<BasicAuthenticator.Outcome> outcome = auth.check(x.authorization(), client);
        BasicAuthenticator.Outcome now = outcome.getNow(null);
        if (now != null) {
            decide(x, now);
            return;
        }
        outcome.whenComplete((o, error) -> x.executor().execute(() -> {
            if (x.active()) {
                decide(x, o != null ? o : BasicAuthenticator.Outcome.REFUSED);
            }
        }));
    }

    private void decide(GuardedExchange x, BasicAuthenticator.Outcome o) {
        switch (o) {
            case ALLOWED -> x.pass();
            case REFUSED -> {
                metrics.unauthorized();
                x.answer(HttpResponseStatus.UNAUTHORIZED, pages.page(401),
                        new DefaultHttpHeaders().set(HttpHeaderNames.WWW_AUTHENTICATE, auth.challenge()));
            }
            case BUSY -> x.answer(HttpResponseStatus.SERVICE_UNAVAILABLE, pages.page(503),
                    new DefaultHttpHeaders().set(HttpHeaderNames.RETRY_AFTER, "1"));
        }
    }
}
