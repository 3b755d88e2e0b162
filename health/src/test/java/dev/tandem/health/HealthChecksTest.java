package dev.tandem.health;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.HealthConfig;
import dev.tandem.conf.HttpCheckConfig;
import dev.tandem.conf.StatusRange;
import dev.tandem.health.LoopbackBackend.Mode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Active checks against real backends on loopback that the test makes fail in each way and then repairs.
 * Transitions are asserted on the sequence of check outcomes each server's checker reports, so that
 * "after exactly fall (rise) checks" holds however slowly a loaded machine runs the checks.
 */
class HealthChecksTest {

    private static final int RISE = 2;
    private static final int FALL = 3;
    private static final Duration INTERVAL = Duration.ofMillis(100);
    private static final Duration TIMEOUT = Duration.ofMillis(400);
    private static final Duration PATIENCE = Duration.ofSeconds(20);

    private static MultiThreadIoEventLoopGroup loops;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final EventRecorder events = new EventRecorder();
    private HealthChecks checks;
    private LoopbackBackend backend;

    @BeforeAll
    static void startLoops() {
        loops = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopLoops() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void start() throws IOException {
        checks = new HealthChecks(loops, NioSocketChannel.class, meters, events);
        backend = LoopbackBackend.start("a");
    }

    @AfterEach
    void stop() {
        checks.close();
        backend.close();
    }

    static HealthConfig http(String path, String expectBody) {
        return new HealthConfig(Optional.of(new HttpCheckConfig("GET", path, Optional.empty(),
                List.of(new StatusRange(200, 399)), Optional.ofNullable(expectBody))), INTERVAL, TIMEOUT, RISE, FALL);
    }

    static HealthConfig tcp() {
        return new HealthConfig(Optional.empty(), INTERVAL, TIMEOUT, RISE, FALL);
    }

    private HealthTarget target(HealthConfig config, ServerHealth health) {
        return new HealthTarget("web", backend.hostPort(), backend.address(), Optional.ofNullable(config), health);
    }

    private static void awaitState(ServerHealth health, ActiveState state) {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(10)).until(() -> health.active() == state);
    }

    /**
     * The state, and the event that tells of it: the state is published just before the event, so a test that
     * clears the events once it sees the state may see the event after, on a busy machine.
     */
    private void awaitTransition(ServerHealth health, HealthTarget t, ActiveState state) {
        awaitState(health, state);
        await().atMost(PATIENCE).until(() -> events.of(t).contains("->" + state));
    }

    /**
     * Asserts that {@code transition} happened once since the recorder was cleared, right after a streak of
     * exactly {@code count} checks that all passed (for {@code ->UP}) or all failed (for {@code ->DOWN}), the
     * last of them with {@code outcome}. A check on its way when the backend broke may fail differently (a
     * refused backend resets the connections it had), and still counts towards {@code fall}.
     */
    private void assertAfterExactly(HealthTarget t, String transition, int count, String outcome) {
        // The state is published just before the event is.
        await().atMost(PATIENCE).until(() -> events.of(t).contains(transition));
        List<String> seen = events.of(t);
        int at = seen.indexOf(transition);
        assertEquals(1, Collections.frequency(seen, transition), "one " + transition + " in " + seen);
        List<String> before = seen.subList(0, at);
        assertTrue(before.size() >= count, "enough checks before " + transition + ": " + seen);
        boolean passes = transition.equals("->UP");
        for (int i = before.size() - count; i < before.size(); i++) {
            assertEquals(passes, before.get(i).equals("passed"), "check " + (i - before.size()) + " before " + transition
                    + " in " + seen);
        }
        assertEquals(outcome, before.get(before.size() - 1), "the check that made the transition, in " + seen);
        if (before.size() > count) {
            String earlier = before.get(before.size() - count - 1);
            assertEquals(!passes, earlier.equals("passed"), "the streak is exactly " + count + " long: " + seen);
        }
    }

    /** An unknown server is confirmed up by its first passed check, whatever failed before it. */
    private void assertFirstPassConfirms(HealthTarget t) {
        await().atMost(PATIENCE).until(() -> events.of(t).contains("->UP"));
        List<String> seen = events.of(t);
        int up = seen.indexOf("->UP");
        assertTrue(up > 0, "->UP in " + seen);
        assertEquals("passed", seen.get(up - 1), "in " + seen);
        assertEquals(1, Collections.frequency(seen.subList(0, up), "passed"), "in " + seen);
    }

    /** The ways a backend fails an HTTP check that expects "ok" in the body. */
    enum Failure {
        REFUSED("refused", "refused"),
        TIMEOUT("timeout", "timeout: no response within 400ms"),
        STATUS("status", "status 500"),
        BODY_MISMATCH("body_mismatch", "body mismatch: 'ok' not in the first 12 bytes (status 200)"),
        RESET("reset", "reset: connection closed before the response");

        final String outcome;
        final String reason;

        Failure(String outcome, String reason) {
            this.outcome = outcome;
            this.reason = reason;
        }

        void inflict(LoopbackBackend b) {
            switch (this) {
                case REFUSED -> b.refuse();
                case TIMEOUT -> b.mode(Mode.HANG);
                case STATUS -> b.mode(Mode.ERROR_500);
                case BODY_MISMATCH -> b.mode(Mode.WRONG_BODY);
                case RESET -> b.mode(Mode.CLOSE);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Failure.class)
    void httpCheckTakesAServerDownAfterFallFailuresAndBackAfterRisePasses(Failure failure) throws IOException {
        ServerHealth health = new ServerHealth();
        HealthTarget t = target(http("/health", "ok"), health);
        checks.apply(List.of(t));
        awaitState(health, ActiveState.UP);
        assertFirstPassConfirms(t);

        events.clear();
        failure.inflict(backend);
        awaitState(health, ActiveState.DOWN);
        assertAfterExactly(t, "->DOWN", FALL, failure.outcome);
        assertEquals(failure.reason, health.status().reason());

        events.clear();
        backend.restore(Mode.OK);
        awaitState(health, ActiveState.UP);
        assertAfterExactly(t, "->UP", RISE, "passed");
        assertEquals("status 200, body matched", health.status().reason());
        assertEquals("GET /health Host: " + backend.hostPort(), backend.lastRequest());
    }

    @Test
    void tcpCheckFollowsTheListeningSocket() throws IOException {
        ServerHealth health = new ServerHealth();
        HealthTarget t = target(tcp(), health);
        checks.apply(List.of(t));
        awaitTransition(health, t, ActiveState.UP);
        assertEquals("connected", health.status().reason());

        events.clear();
        backend.refuse();
        awaitState(health, ActiveState.DOWN);
        assertAfterExactly(t, "->DOWN", FALL, "refused");

        events.clear();
        backend.restore(Mode.HANG);
        awaitState(health, ActiveState.UP);
        assertAfterExactly(t, "->UP", RISE, "passed");
        assertEquals(0, backend.hits("/"), "a TCP check sends nothing");
    }

    @Test
    void comingBackUpLiftsAPassivePenaltyFromTheOutage() throws IOException {
        ServerHealth health = new ServerHealth();
        checks.apply(List.of(target(http("/", null), health)));
        awaitState(health, ActiveState.UP);
        backend.mode(Mode.ERROR_500);
        // Live traffic failed too, just before the checks took the server down.
        long now = System.nanoTime();
        assertTrue(health.passive().recordFailure(now, 1, Duration.ofMinutes(10).toNanos()));
        awaitState(health, ActiveState.DOWN);
        assertTrue(health.passive().isDown(System.nanoTime()));

        backend.mode(Mode.OK);
        awaitState(health, ActiveState.UP);
        assertTrue(health.allowsTraffic(System.nanoTime()), "not held out for the rest of fail_timeout");
    }

    @Test
    void methodPathAndHostHeaderAreTheConfiguredOnes() throws IOException {
        ServerHealth health = new ServerHealth();
        HealthConfig head = new HealthConfig(Optional.of(new HttpCheckConfig("HEAD", "/status?deep=1",
                Optional.of("app.example"), List.of(new StatusRange(200, 200)), Optional.empty())), INTERVAL, TIMEOUT, 1, 1);
        checks.apply(List.of(target(head, health)));
        awaitState(health, ActiveState.UP);
        assertEquals("HEAD /status?deep=1 Host: app.example", backend.lastRequest());
        assertEquals("status 200", health.status().reason());
    }

    @Test
    void statusOutsideTheExpectedRangesFails() throws IOException {
        ServerHealth health = new ServerHealth();
        HealthConfig only204 = new HealthConfig(Optional.of(new HttpCheckConfig("GET", "/", Optional.empty(),
                List.of(new StatusRange(204, 204), new StatusRange(500, 500)), Optional.empty())), INTERVAL, TIMEOUT, 1, 1);
        checks.apply(List.of(target(only204, health)));
        awaitState(health, ActiveState.DOWN);
        assertEquals("status 200", health.status().reason());
        backend.mode(Mode.ERROR_500);
        awaitState(health, ActiveState.UP);
    }

    @Test
    void metersFollowChecksAndTransitionsAndGoWithTheServer() throws IOException {
        ServerHealth health = new ServerHealth();
        HealthTarget t = target(http("/", null), health);
        checks.apply(List.of(t));
        String server = backend.hostPort().toString();
        awaitState(health, ActiveState.UP);
        assertEquals(1.0, meters.get("tandem.upstream.server.up").tag("server", server).gauge().value());

        backend.mode(Mode.ERROR_500);
        awaitState(health, ActiveState.DOWN);
        assertEquals(0.0, meters.get("tandem.upstream.server.up").tag("server", server).gauge().value());
        // Counted just after the state is published.
        await().atMost(PATIENCE).until(() ->
                meters.get("tandem.health.transitions").tags("server", server, "to", "down").counter().count() == 1.0);
        assertEquals(1.0, meters.get("tandem.health.transitions").tags("server", server, "to", "up").counter().count());
        assertTrue(meters.get("tandem.health.checks").tags("server", server, "outcome", "status").counter().count() >= FALL);
        assertTrue(meters.get("tandem.health.checks").tags("server", server, "outcome", "passed").counter().count() >= 1);
        assertTrue(meters.get("tandem.health.check.duration").tags("upstream", "web", "server", server).timer().count() >= FALL + 1);

        checks.apply(List.of());
        assertNull(meters.find("tandem.upstream.server.up").gauge());
        assertNull(meters.find("tandem.health.checks").counter());
        assertNull(meters.find("tandem.health.check.duration").timer());
        assertNull(meters.find("tandem.health.transitions").counter());
    }

    @Test
    void aServerWithoutChecksHasAGaugeThatSaysUp() {
        ServerHealth health = new ServerHealth();
        checks.apply(List.of(target(null, health)));
        assertEquals(1.0, meters.get("tandem.upstream.server.up").gauge().value());
        assertNull(meters.find("tandem.health.checks").counter());
        assertEquals(0, checks.running());
        health.active(ActiveState.DOWN);
        assertEquals(0.0, meters.get("tandem.upstream.server.up").gauge().value());
    }

    @Test
    void reapplyingKeepsStateAndChangedSettingsRestartWithoutForgettingIt() throws IOException {
        ServerHealth health = new ServerHealth();
        HealthTarget t = target(http("/", null), health);
        checks.apply(List.of(t));
        backend.mode(Mode.ERROR_500);
        awaitTransition(health, t, ActiveState.DOWN);

        // The same settings: the checker goes on.
        checks.apply(List.of(target(http("/", null), health)));
        assertEquals(1, checks.running());
        assertEquals(ActiveState.DOWN, health.active());

        // New settings: a new checker, which starts from the state found so far and needs rise passes.
        events.clear();
        HealthTarget changed = target(http("/other", null), health);
        checks.apply(List.of(changed));
        assertEquals(ActiveState.DOWN, health.active());
        backend.mode(Mode.OK);
        awaitState(health, ActiveState.UP);
        await().atMost(PATIENCE).until(() -> events.of(changed).contains("->UP"));
        // (the new checker's first check may run before the backend is switched back, and fail: counted from the
        // first pass)
        List<String> seen = events.of(changed);
        int firstPass = seen.indexOf("passed");
        assertTrue(firstPass >= 0 && seen.subList(0, firstPass).stream().noneMatch(e -> e.startsWith("->")),
                "nothing but failed checks before the first pass: " + seen);
        assertEquals(List.of("passed", "passed", "->UP"), seen.subList(firstPass, firstPass + 3),
                "still down after the restart, up after exactly rise passes: " + seen);
        assertTrue(backend.hits("/other") >= RISE);
    }

    @Test
    void droppingChecksMakesTheServerUnknownAndRemovingItStopsItsChecks() throws IOException {
        ServerHealth health = new ServerHealth();
        checks.apply(List.of(target(http("/", null), health)));
        backend.mode(Mode.ERROR_500);
        awaitState(health, ActiveState.DOWN);

        checks.apply(List.of(target(null, health)));
        awaitState(health, ActiveState.UNKNOWN);
        assertEquals("active checks removed", health.status().reason());
        assertEquals(0, checks.running());
        await().atMost(PATIENCE).until(() ->
                meters.get("tandem.health.transitions").tag("to", "unknown").counter().count() == 1.0);
        assertQuiet();

        checks.apply(List.of(target(http("/", null), health)));
        awaitState(health, ActiveState.DOWN);
        checks.apply(List.of());
        assertEquals(0, checks.running());
        assertQuiet();
    }

    /** No check reaches the backend any more (one already on its way may still land). */
    private void assertQuiet() {
        int before = backend.hits("/");
        await().during(Duration.ofMillis(5 * INTERVAL.toMillis())).atMost(PATIENCE)
                .until(() -> backend.hits("/") <= before + 1);
    }

    @Test
    void checksOfManyServersRunOnTheirOwnConnectionsAndAllReport() throws IOException {
        List<LoopbackBackend> more = new java.util.ArrayList<>();
        try {
            List<HealthTarget> targets = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                LoopbackBackend b = LoopbackBackend.start("b" + i);
                more.add(b);
                targets.add(new HealthTarget("many", b.hostPort(), b.address(), Optional.of(http("/", "ok")), new ServerHealth()));
            }
            checks.apply(targets);
            for (HealthTarget t : targets) {
                awaitState(t.health(), ActiveState.UP);
            }
            assertEquals(8, checks.running());
        } finally {
            more.forEach(LoopbackBackend::close);
        }
    }
}
