package dev.tandem.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.HostPort;
import dev.tandem.conf.NodeHealthConfig;
import dev.tandem.conf.NodeHealthConfig.Require;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class NodeHealthMonitorTest {

    private static final long S = 1_000_000_000L;
    private final java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(-100 * S);
    private final NodeHealthMonitor node = new NodeHealthMonitor(now::get);
    private final AtomicInteger notified = new AtomicInteger();
    private final ServerHealth web1 = new ServerHealth();
    private final ServerHealth web2 = new ServerHealth();
    private final ServerHealth api1 = new ServerHealth();
    private final List<HealthTarget> servers = List.of(
            target("web", 1, web1), target("web", 2, web2), target("api", 3, api1));

    private static HealthTarget target(String upstream, int port, ServerHealth health) {
        return new HealthTarget(upstream, new HostPort("10.0.0.1", port), new InetSocketAddress("10.0.0.1", port),
                Optional.empty(), health);
    }

    private void set(ServerHealth h, ActiveState state) {
        ActiveStatus from = h.status();
        h.active(state);
        HealthTarget t = servers.stream().filter(s -> s.health() == h).findFirst().orElseThrow();
        node.changed(t, from, h.status());
    }

    private void start(NodeHealthConfig rule) {
        node.addListener(notified::incrementAndGet);
        node.configure(rule, servers);
        node.listeners(true, null);
    }

    @Test
    void cannotServeUntilTheListenersAreBound() {
        node.addListener(notified::incrementAndGet);
        assertFalse(node.canServe());
        assertEquals("listeners not bound yet", node.reason());
        node.configure(new NodeHealthConfig(Require.NONE, List.of()), servers);
        assertEquals(0, notified.get(), "nothing changed");
        node.listeners(true, null);
        assertTrue(node.canServe());
        assertEquals("", node.reason());
        assertEquals(1, notified.get());
        node.listeners(false, "stopping");
        assertFalse(node.canServe());
        assertEquals("stopping", node.reason());
        assertEquals(2, notified.get());
    }

    /** max_fails 1, fail_timeout 10 s: one failure takes a server out for 10 s. */
    private void failOnce(ServerHealth h) {
        assertTrue(h.passive().recordFailure(now.get(), 1, 10 * S));
    }

    @Test
    void serversTakenOutByPassiveFailuresCountAsDownWithoutActiveChecks() {
        start(new NodeHealthConfig(Require.ALL_UPSTREAMS, List.of()));
        assertTrue(node.canServe(), "unchecked servers count as up while traffic reaches them");
        failOnce(web1);
        node.refresh();
        assertTrue(node.canServe(), "web2 still takes traffic");
        failOnce(web2);
        node.refresh();
        assertFalse(node.canServe(), "every server of 'web' refuses its connections");
        assertEquals("upstream 'web' has no server up (taken out by passive failures: max_fails within fail_timeout)",
                node.reason());
        assertEquals(2, notified.get());
        // the penalty ends with fail_timeout: the servers take traffic again, and count as up again
        now.addAndGet(10 * S);
        node.refresh();
        assertTrue(node.canServe());
        assertEquals(3, notified.get());
    }

    @Test
    void aPassivePenaltyCountsBesideTheActiveVerdict() {
        start(new NodeHealthConfig(Require.LISTED, List.of("web")));
        set(web1, ActiveState.UP);
        set(web2, ActiveState.DOWN);
        failOnce(web1);
        node.refresh();
        assertFalse(node.canServe(), "web1 is up for the checks but taken out by live traffic");
        failOnce(api1);
        node.refresh();
        assertEquals("upstream 'web' has no server up (taken out by passive failures: max_fails within fail_timeout)",
                node.reason(), "api is not required");
    }

    @Test
    void anyUpstreamStillServesWhileOneUpstreamHasAServerTakingTraffic() {
        start(new NodeHealthConfig(Require.ANY_UPSTREAM, List.of()));
        failOnce(web1);
        failOnce(web2);
        node.refresh();
        assertTrue(node.canServe());
        failOnce(api1);
        node.refresh();
        assertFalse(node.canServe());
        assertEquals("no upstream has a server up ('web', 'api') (taken out by passive failures: max_fails within"
                + " fail_timeout)", node.reason());
    }

    @Test
    void allUpstreamsNeedsAServerUpInEach() {
        start(new NodeHealthConfig(Require.ALL_UPSTREAMS, List.of()));
        assertTrue(node.canServe(), "unknown servers count as up");
        set(web1, ActiveState.DOWN);
        assertTrue(node.canServe(), "web2 is still up");
        assertEquals(1, notified.get(), "only the flip to serving so far");
        set(web2, ActiveState.DOWN);
        assertFalse(node.canServe());
        assertEquals("upstream 'web' has no server up", node.reason());
        assertEquals(2, notified.get());
        set(api1, ActiveState.DOWN);
        assertEquals("upstreams 'web', 'api' have no server up", node.reason());
        assertEquals(3, notified.get(), "the reason changed");
        set(web2, ActiveState.UP);
        set(api1, ActiveState.UP);
        assertTrue(node.canServe());
        assertEquals(5, notified.get());
    }

    @Test
    void anyUpstreamNeedsOne() {
        start(new NodeHealthConfig(Require.ANY_UPSTREAM, List.of()));
        set(web1, ActiveState.DOWN);
        set(web2, ActiveState.DOWN);
        assertTrue(node.canServe(), "api still has a server");
        set(api1, ActiveState.DOWN);
        assertFalse(node.canServe());
        assertEquals("no upstream has a server up ('web', 'api')", node.reason());
    }

    @Test
    void listedUpstreamsOnly() {
        start(new NodeHealthConfig(Require.LISTED, List.of("api")));
        set(web1, ActiveState.DOWN);
        set(web2, ActiveState.DOWN);
        assertTrue(node.canServe(), "web is not required");
        set(api1, ActiveState.DOWN);
        assertFalse(node.canServe());
        assertEquals("upstream 'api' has no server up", node.reason());
    }

    @Test
    void noneIgnoresUpstreams() {
        start(new NodeHealthConfig(Require.NONE, List.of()));
        servers.forEach(s -> set(s.health(), ActiveState.DOWN));
        assertTrue(node.canServe());
    }

    @Test
    void aNewConfigIsEvaluatedAtOnce() {
        start(new NodeHealthConfig(Require.ALL_UPSTREAMS, List.of()));
        set(api1, ActiveState.DOWN);
        assertFalse(node.canServe());
        node.configure(new NodeHealthConfig(Require.LISTED, List.of("web")), servers);
        assertTrue(node.canServe());
        List<HealthTarget> withoutApi = new ArrayList<>(servers.subList(0, 2));
        node.configure(new NodeHealthConfig(Require.ALL_UPSTREAMS, List.of()), withoutApi);
        assertTrue(node.canServe(), "the down upstream is gone");
    }

    @Test
    void aFailingListenerDoesNotStopTheOthers() {
        node.addListener(() -> {
            throw new IllegalStateException("boom");
        });
        start(new NodeHealthConfig(Require.NONE, List.of()));
        assertEquals(1, notified.get());
    }

    @Test
    void concurrentTransitionsEndOnTheVerdictOfTheLastState() throws InterruptedException {
        start(new NodeHealthConfig(Require.ALL_UPSTREAMS, List.of()));
        Thread[] threads = new Thread[4];
        for (int i = 0; i < threads.length; i++) {
            ServerHealth h = i % 2 == 0 ? web1 : web2;
            threads[i] = new Thread(() -> {
                for (int n = 0; n < 2000; n++) {
                    set(h, n % 2 == 0 ? ActiveState.DOWN : ActiveState.UP);
                }
            });
        }
        for (Thread t : threads) {
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        // Each thread's last write is UP.
        assertTrue(node.canServe());
        set(web1, ActiveState.DOWN);
        set(web2, ActiveState.DOWN);
        assertFalse(node.canServe());
    }
}
