package dev.tandem.node.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CsrfGuardTest {

    private final AtomicLong now = new AtomicLong(1_000);
    private final CsrfGuard guard = new CsrfGuard(now::get);

    private Optional<String> post(String origin, String site, String token) {
        return guard.refusal(new CsrfGuard.Request("POST", "127.0.0.1:9090", origin, site, token), true);
    }

    @Test
    void theCommandLineNeedsNoCsrfToken() {
        // curl and tandem handover send neither Origin nor Sec-Fetch-Site: the bearer token alone decides.
        assertEquals(Optional.empty(), post(null, null, null));
    }

    @Test
    void aSameOriginPageWithAnIssuedTokenMayAct() {
        String token = guard.issue();
        assertEquals(Optional.empty(), post("http://127.0.0.1:9090", "same-origin", token));
    }

    @Test
    void anotherSitesPageIsRefusedEvenWithAToken() {
        String token = guard.issue();
        assertTrue(post("https://evil.example", "cross-site", token).orElseThrow().contains("cross-site"));
        assertTrue(post("http://127.0.0.1:9091", "same-origin", token).orElseThrow().contains("cross-origin"));
        assertTrue(post("http://localhost:9090", null, token).orElseThrow().contains("cross-origin"));
        assertTrue(post("null", null, token).isPresent());
        assertTrue(post(null, "same-site", token).orElseThrow().contains("cross-site"));
    }

    @Test
    void aBrowserRequestWithoutAValidTokenIsRefused() {
        assertTrue(post("http://127.0.0.1:9090", "same-origin", null).orElseThrow().contains("X-Tandem-CSRF"));
        assertTrue(post("http://127.0.0.1:9090", "same-origin", "made-up").isPresent());
        // A browser that sends Origin but not Sec-Fetch-Site (older ones) is still a browser.
        assertTrue(post("http://127.0.0.1:9090", null, null).isPresent());
    }

    @Test
    void tokensExpire() {
        String token = guard.issue();
        now.addAndGet(CsrfGuard.LIFETIME.toNanos() + 1);
        assertTrue(post("http://127.0.0.1:9090", "same-origin", token).isPresent());
    }

    @Test
    void theOldestTokensGoFirstWhenTooManyAreAskedFor() {
        String first = guard.issue();
        for (int i = 0; i < CsrfGuard.MAX_TOKENS; i++) {
            guard.issue();
        }
        String last = guard.issue();
        assertTrue(post("http://127.0.0.1:9090", "same-origin", first).isPresent());
        assertEquals(Optional.empty(), post("http://127.0.0.1:9090", "same-origin", last));
    }

    @Test
    void readingTheTokenIsRefusedToOtherSites() {
        CsrfGuard.Request get = new CsrfGuard.Request("GET", "127.0.0.1:9090", null, "cross-site", null);
        assertTrue(guard.refusal(get, true).isPresent());
        assertEquals(Optional.empty(), guard.refusal(
                new CsrfGuard.Request("GET", "127.0.0.1:9090", null, "same-origin", null), true));
    }

    @Test
    void originsCompareHostAndPort() {
        assertTrue(CsrfGuard.sameOrigin("http://[::1]:9090", "[::1]:9090"));
        assertTrue(CsrfGuard.sameOrigin("http://lb1.example", "lb1.example"));
        assertFalse(CsrfGuard.sameOrigin("http://lb2.example", "lb1.example"));
        assertFalse(CsrfGuard.sameOrigin("http://lb1.example:8080", "lb1.example"));
        assertFalse(CsrfGuard.sameOrigin("file://x", "lb1.example"));
    }
}
