package dev.tandem.cluster.vip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The helper's protocol with stand-in processes (sh), and the real program where it needs no privilege. */
class TakeoverHelperTest {

    @TempDir
    Path dir;

    private final List<Process> launched = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger launches = new AtomicInteger();

    /** A stand-in that writes each command it gets to {@code asked} and answers with {@code answer} (sh code). */
    private TakeoverHelper.Launcher standIn(String answer) {
        Path asked = dir.resolve("asked");
        return () -> {
            launches.incrementAndGet();
            Process p = new ProcessBuilder("sh", "-c", "echo ready; "
                    + "while read id rest; do echo \"$rest\" >> '" + asked + "'; " + answer + "; done").start();
            launched.add(p);
            return p;
        };
    }

    private List<String> asked() throws IOException {
        Path asked = dir.resolve("asked");
        return Files.exists(asked) ? Files.readAllLines(asked) : List.of();
    }

    @AfterEach
    void end() {
        launched.forEach(Process::destroyForcibly);
    }

    @Test
    void aPreparedHelperDoesWhatItIsAskedAndSaysSo() throws IOException {
        TakeoverHelper h = new TakeoverHelper(standIn("echo \"$id ok\""), Duration.ofSeconds(10));
        h.prepare();
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(h::running);
        assertTrue(h.call("add 203.0.113.10 24 eth0"));
        assertTrue(h.call("garp 203.0.113.10 eth0"));
        assertEquals(List.of("add 203.0.113.10 24 eth0", "garp 203.0.113.10 eth0"), asked());
        assertEquals(1, launches.get(), "one process for every command");
        h.end();
    }

    @Test
    void aCommandTheHelperCannotDoIsAFailure() {
        TakeoverHelper h = new TakeoverHelper(standIn("echo \"$id error no interface with this name\""),
                Duration.ofSeconds(10));
        h.prepare();
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(h::running);
        assertFalse(h.call("add 203.0.113.10 24 eth9"));
        assertTrue(h.running(), "it answered: it stays");
        h.end();
    }

    @Test
    void aHelperThatDoesNotAnswerInTimeIsEndedAndAnotherStarted() throws IOException {
        TakeoverHelper h = new TakeoverHelper(standIn("sleep 30"), Duration.ofMillis(300));
        h.prepare();
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(h::running);
        Process first = launched.get(0);
        long before = System.nanoTime();
        assertFalse(h.call("add 203.0.113.10 24 eth0"));
        assertTrue(System.nanoTime() - before < TimeUnit.SECONDS.toNanos(5), "bounded by the time limit");
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> !first.isAlive());
        // the next takeover goes the slow way, and finds a helper after it
        assertFalse(h.call("add 203.0.113.10 24 eth0"));
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(h::running);
        assertEquals(2, launches.get());
        h.end();
    }

    @Test
    void withoutAHelperRunningACallFailsAtOnceAndStartsOneForTheNext() {
        TakeoverHelper h = new TakeoverHelper(standIn("echo \"$id ok\""), Duration.ofSeconds(10));
        assertFalse(h.call("garp 203.0.113.10 eth0"), "starting one is the delay it saves: not now");
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(h::running);
        assertTrue(h.call("garp 203.0.113.10 eth0"));
        h.end();
    }

    @Test
    void aHelperStillStartingIsLeftToStartAndTheSlowWayTakenMeanwhile() throws IOException {
        Path go = dir.resolve("go");
        TakeoverHelper h = new TakeoverHelper(() -> {
            Process p = new ProcessBuilder("sh", "-c", "while [ ! -e '" + go + "' ]; do sleep 0.05; done; echo ready; "
                    + "while read id rest; do echo \"$id ok\"; done").start();
            launched.add(p);
            return p;
        }, Duration.ofMillis(300));
        h.prepare();
        long before = System.nanoTime();
        assertFalse(h.call("add 203.0.113.10 24 eth0"), "not ready yet");
        assertTrue(System.nanoTime() - before < TimeUnit.MILLISECONDS.toNanos(300), "without waiting for it");
        assertTrue(launched.get(0).isAlive(), "and not ended for it");
        Files.writeString(go, "");
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(h::running);
        assertTrue(h.call("add 203.0.113.10 24 eth0"));
        assertEquals(1, launched.size());
        h.end();
    }

    @Test
    void aHelperThatCannotBeStartedLeavesTheSlowWay() {
        TakeoverHelper h = new TakeoverHelper(() -> {
            launches.incrementAndGet();
            throw new IOException("Cannot run program \"python3\": error=2, No such file or directory");
        }, Duration.ofSeconds(1));
        h.prepare();
        assertFalse(h.running());
        assertFalse(h.call("add 203.0.113.10 24 eth0"));
    }

    @Test
    void theProgramAnswersEachCommandByItsIdAndRefusesWhatItCannotDo() {
        Assumptions.assumeTrue(IpCommandDriver.onPath("python3").isPresent(), "no python3");
        TakeoverHelper h = new TakeoverHelper(() -> {
            Process p = TakeoverHelper.python().start();
            launched.add(p);
            return p;
        }, Duration.ofSeconds(30));
        h.prepare();
        Awaitility.await().atMost(30, TimeUnit.SECONDS).until(h::running);
        assertFalse(h.call("add 203.0.113.10 24 tandemnone0"), "no such interface");
        assertFalse(h.call("garp 203.0.113.10 tandemnone0"), "no such interface");
        assertTrue(h.ask("takeover 203.0.113.10 24 tandemnone0").startsWith("error "), "nothing added");
        assertFalse(h.call("add 203.0.113.10 40 lo"), "no such prefix");
        assertFalse(h.call("garp 203.0.113.10 lo"), "no Ethernet: no ARP");
        assertFalse(h.call("bogus"));
        assertTrue(h.running(), "it answered every one of them");
        Process p = launched.get(0);
        h.end();
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> !p.isAlive());
    }

    @Test
    void theProgramEndsWithItsInput() throws Exception {
        Assumptions.assumeTrue(IpCommandDriver.onPath("python3").isPresent(), "no python3");
        Process p = TakeoverHelper.python().start();
        launched.add(p);
        p.getOutputStream().close();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "a helper outlives no Tandem");
        assertEquals(0, p.exitValue());
    }
}
