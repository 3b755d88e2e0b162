package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.mirror.CertificateCheck;
import dev.tandem.cluster.mirror.ConfigValidator;
import dev.tandem.conf.MirrorLimits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the mirror's core makes of a file a peer sent once it has arrived, on a clock the test moves and a disk
 * in memory; the test plays the driver, writing what the commands say and handing back what the writes left. A
 * version that wins is installed; one that loses is kept as a conflict copy; an edit here that no event reported
 * yet competes; the config is installed only once it validates (parked until a file it names has come, refused
 * when its round ends without); a certificate half is held until its other half comes. A version that needs no
 * content: a deletion applied, one that beats an edit here keeping the edit beside, the config's refused.
 */
class MirrorCoreReceivedTest {

    private static final Path WWW = Path.of("/srv/www");
    private static final Path CONFIG = WWW.resolve("tandem.conf");
    private static final Path CERT = WWW.resolve("site.pem");
    private static final Path KEY = WWW.resolve("site.key");
    private static final long HOUR_AGO = -3_600_000;

    private final MovedClock clock = new MovedClock();
    private final MemoryDisk disk = new MemoryDisk().mkdir(WWW);
    private EngineState state;
    private MirrorCore core;
    private InboundState.Session b;

    /**
     * The config check: each line {@code needs NAME} names a file beside it that must be there (as a config
     * names its certificates).
     */
    private final ConfigValidator validator = (file, content) -> new String(content, StandardCharsets.UTF_8).lines()
            .filter(l -> l.startsWith("needs "))
            .map(l -> file.resolveSibling(l.substring(6)))
            .filter(p -> !disk.exists(p))
            .map(p -> file + ":1:1: no such file: " + p)
            .collect(Collectors.toList());

    /** The pair check: {@code site.pem} and {@code site.key} pass when they end with the same number. */
    private final CertificateCheck pairs = new CertificateCheck() {
        @Override
        public Optional<Pair> pairOf(Path file) {
            return file.equals(CERT) || file.equals(KEY) ? Optional.of(new Pair(CERT, KEY)) : Optional.empty();
        }

        @Override
        public Verdict check(Pair pair, byte[] cert, byte[] key) {
            String c = new String(cert, StandardCharsets.UTF_8);
            String k = new String(key, StandardCharsets.UTF_8);
            return c.substring(c.lastIndexOf(' ')).equals(k.substring(k.lastIndexOf(' '))) ? new Verdict(List.of(), List.of())
                    : new Verdict(List.of(pair.cert() + ": does not match " + pair.key()), List.of());
        }
    };

    @BeforeEach
    void start() throws Exception {
        disk.write(WWW.resolve("f0"), "content 0", clock.millis() + HOUR_AGO);
        disk.write(CONFIG, "plain", clock.millis() + HOUR_AGO);
        disk.write(CERT, "cert 1", clock.millis() + HOUR_AGO);
        disk.write(KEY, "key 1", clock.millis() + HOUR_AGO);
        Roots roots = new Roots(Map.of("www", WWW));
        state = new EngineState("a", roots, new StateFile(Path.of("/nonexistent/state")), roots.keyOf(CONFIG), validator,
                NoEvents.INSTANCE, new MirrorMetrics(new SimpleMeterRegistry()), clock, clock::nanos,
                new RootLimits(MirrorLimits.DEFAULT), DeletionGuard.Limits.DEFAULT, List.of("b"));
        state.certificates = new CertificateFiles<>(new CertificatePairs<>(pairs, clock::millis, new SimpleMeterRegistry()));
        core = new MirrorCore(state, disk, Duration.ofMillis(200), r -> true);
        drive(core.on(new Event.Started(false)));
        assertEquals(4, state.table.size());
        b = new InboundState.Session(null, "b");
        state.sessions.put(null, b);
        state.book.opened(b);
        state.gate.sessionOpened("b");
        clock.move(Duration.ofMinutes(1));
    }

    // ------------------------------------------------------------------ the test as the driver

    private static String hash(String content) {
        return FileStore.hex(FileStore.sha256().digest(content.getBytes(StandardCharsets.UTF_8)));
    }

    private Entry here(Path file) {
        return state.table.get(state.roots.keyOf(file));
    }

    /** Peer b's edit of {@code file} after {@code previous} (the version here, or null), with {@code content}. */
    private Entry theirs(Path file, Entry previous, String content) {
        return Entry.edit(state.roots.keyOf(file), previous, "b", clock.millis(), hash(content), 0644, content.length());
    }

    /** Peer b offers {@code versions}, and they are asked for. */
    private void offered(Entry... versions) {
        List<Command> out = drive(core.on(new Event.Offer(b, List.of(versions))));
        assertEquals(versions.length, of(out, Command.Want.class).stream().mapToInt(w -> w.wanted().size()).sum());
    }

    /** {@code e} arrives from b with {@code content}, flushed to its temporary file; returns every command it led to. */
    private List<Command> arrives(Entry e, String content) {
        Path target = state.roots.pathOf(e.key());
        Receiving rx = new Receiving(e, target);
        rx.temp = FileStore.tempBeside(target);
        disk.write(rx.temp, content, clock.millis());
        return drive(core.on(new Event.Arrived(b, rx)));
    }

    /** Carries out {@code commands} as the driver does on the disk, handing the core what each write left. */
    private List<Command> drive(List<Command> commands) {
        List<Command> all = new ArrayList<>();
        for (Command c : commands) {
            all.add(c);
            try {
                if (c instanceof Command.DiscardTemp d) {
                    disk.delete(d.temp());
                } else if (c instanceof Command.Install i) {
                    Receiving rx = i.rx();
                    if (i.keepLocal() != null) {
                        disk.copy(rx.target, i.keepLocal().keptAs());
                        all.addAll(drive(core.on(new Event.KeptAside(rx.entry.key(), i.keepLocal().keptAs(),
                                i.keepLocal().loser(), i.keepLocal().winner()))));
                    }
                    all.addAll(rename(i.from(), rx));
                    if (i.partner() != null) {
                        all.addAll(rename(i.partner().st(), i.partner().rx()));
                    }
                    all.addAll(drive(core.on(new Event.FetchEnded(rx.entry.key(), rx.entry, true))));
                } else if (c instanceof Command.SaveConflict s) {
                    disk.move(s.rx().temp, s.keptAs());
                    all.addAll(drive(core.on(new Event.KeptAside(s.rx().entry.key(), s.keptAs(), s.rx().entry, s.winner()))));
                    all.addAll(drive(core.on(new Event.FetchEnded(s.rx().entry.key(), s.rx().entry, true))));
                } else if (c instanceof Command.RetryParked r) {
                    all.addAll(drive(core.on(new Event.RetryParked(r.due()))));
                } else if (c instanceof Command.Apply a) {
                    all.addAll(drive(core.on(new Event.Apply(a.from(), a.version()))));
                } else if (c instanceof Command.WriteVersion w) {
                    if (w.keepLocal() != null) {
                        disk.copy(w.target(), w.keepLocal().keptAs());
                        all.addAll(drive(core.on(new Event.KeptAside(w.version().key(), w.keepLocal().keptAs(),
                                w.keepLocal().loser(), w.keepLocal().winner()))));
                    }
                    if (w.version().deleted()) {
                        disk.delete(w.target());
                    }
                    all.addAll(drive(core.on(new Event.Written(w.version(), disk.stat(w.target())))));
                }
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }
        return all;
    }

    private List<Command> rename(InboundState.Session from, Receiving rx) throws java.io.IOException {
        disk.move(rx.temp, rx.target);
        return drive(core.on(new Event.Installed(from, rx, disk.stat(rx.target))));
    }

    private static <T extends Command> List<T> of(List<Command> commands, Class<T> type) {
        return commands.stream().filter(type::isInstance).map(type::cast).collect(Collectors.toList());
    }

    // ------------------------------------------------------------------ the tests

    @Test
    void aVersionThatIncludesTheOneHereIsInstalled() {
        Path f0 = WWW.resolve("f0");
        Entry theirs = theirs(f0, here(f0), "theirs");
        offered(theirs);
        List<Command> out = arrives(theirs, "theirs");
        List<Command.Install> installs = of(out, Command.Install.class);
        assertEquals(1, installs.size());
        assertNull(installs.get(0).keepLocal(), "nothing here to keep: the version here is older");
        assertEquals("theirs", disk.text(f0));
        assertEquals(theirs, here(f0));
        assertEquals(List.of(), state.table.conflicts());
        assertFalse(state.book.fetching(theirs.key()), "its fetch ended");
        assertEquals(1.0, state.metrics.filesReceived.count());
    }

    @Test
    void aVersionThatLosesToAConcurrentEditHereIsKeptAsAConflictCopy() {
        Path f0 = WWW.resolve("f0");
        Entry theirs = theirs(f0, here(f0), "theirs");
        // two edits here since the version both had: this node's version is higher, it wins
        Entry mine = Entry.edit(theirs.key(), here(f0), "a", clock.millis(), hash("content 0"), 0644, 9);
        mine = Entry.edit(theirs.key(), mine, "a", clock.millis(), hash("content 0"), 0644, 9);
        state.table.put(mine, disk.stat(f0), clock.millis());
        offered(theirs);

        List<Command> out = arrives(theirs, "theirs");
        assertEquals(List.of(), of(out, Command.Install.class), "the file here stays");
        Path copy = f0.resolveSibling(theirs.conflictName("f0"));
        assertEquals(List.of(new Command.SaveConflict(b, of(out, Command.SaveConflict.class).get(0).rx(), copy, mine)),
                of(out, Command.SaveConflict.class));
        assertEquals("content 0", disk.text(f0));
        assertEquals("theirs", disk.text(copy));
        assertEquals(mine, here(f0));
        assertEquals(1, state.table.conflicts().size());
        Conflict c = state.table.conflicts().get(0);
        assertEquals(copy, c.keptAs());
        assertTrue(c.loser().sameVersion(theirs));
        assertNotNull(here(copy), "a conflict copy in a mirrored directory is a file of its own");
    }

    @Test
    void aConflictCopyAPeerKeptIsListedHereTooOnce() {
        Path f0 = WWW.resolve("f0");
        // b decided concurrent edits of f0 before it offered: it mirrors the copy of the loser, 2@c, as a file
        Path copy = WWW.resolve("f0.conflict-c-2");
        Entry kept = theirs(copy, null, "c's edit");
        offered(kept);
        arrives(kept, "c's edit");

        assertEquals("c's edit", disk.text(copy));
        assertEquals(1, state.table.conflicts().size(), "listed here, though this node never saw 2@c");
        Conflict c = state.table.conflicts().get(0);
        assertEquals(copy, c.keptAs());
        assertEquals(state.roots.keyOf(f0), c.key());
        assertEquals("2@c", c.loser().label());
        assertEquals(here(f0).label(), c.winner());
        assertEquals(1.0, state.metrics.conflicts.count());

        // the copy changed at b (an operator edited it): still one conflict
        Entry again = theirs(copy, kept, "c's edit, looked at");
        offered(again);
        arrives(again, "c's edit, looked at");
        assertEquals(1, state.table.conflicts().size());
        assertEquals(1.0, state.metrics.conflicts.count());

        // a name that only looks like a copy's, of no file here, is a file like any
        Entry other = theirs(WWW.resolve("notes.conflict-c-2"), null, "x");
        offered(other);
        arrives(other, "x");
        assertEquals(1, state.table.conflicts().size());
    }

    @Test
    void aConflictCopysNameTellsItsFileAndTheLosingVersion() {
        assertEquals(new Conflict.Named("page.html", "lb-1", 12), Conflict.named("page.html.conflict-lb-1-12"));
        assertEquals(new Conflict.Named("a.conflict-b-1", "c", 2), Conflict.named("a.conflict-b-1.conflict-c-2"));
        assertNull(Conflict.named("page.html"));
        assertNull(Conflict.named("page.conflict-.html"));
        assertNull(Conflict.named("x.conflict-a-99999999999999999999"));
    }

    @Test
    void anEditHereThatNoEventReportedYetCompetesAndIsKeptWhenItLoses() {
        Path f0 = WWW.resolve("f0");
        Entry before = here(f0);
        Entry theirs = theirs(f0, before, "theirs");
        offered(theirs);
        // edited here while the peer's version was on its way; the watcher has not said so yet
        disk.write(f0, "mine", clock.millis() - 10_000);

        List<Command> out = arrives(theirs, "theirs");
        Command.Install install = of(out, Command.Install.class).get(0);
        assertNotNull(install.keepLocal(), "the edit here became a version first, and lost");
        Entry mine = install.keepLocal().loser();
        assertEquals("a", mine.origin());
        assertEquals(hash("mine"), mine.hash());
        assertEquals("theirs", disk.text(f0));
        Path copy = f0.resolveSibling(mine.conflictName("f0"));
        assertEquals("mine", disk.text(copy), "not overwritten: kept beside");
        assertEquals(List.of(copy), state.table.conflicts().stream().map(Conflict::keptAs).collect(Collectors.toList()));
        assertEquals(theirs, here(f0));
    }

    @Test
    void aConfigThatDoesNotValidateYetIsParkedAndInstalledOnceTheFileItNamesArrives() {
        Entry cert = theirs(WWW.resolve("new.pem"), null, "cert 9");
        Entry config = theirs(CONFIG, here(CONFIG), "needs new.pem");
        Entry late = theirs(WWW.resolve("f1"), null, "late");
        offered(config, cert, late);

        List<Command> first = arrives(config, "needs new.pem");
        assertEquals(List.of(), of(first, Command.Install.class), "it names a file not here yet");
        assertNotNull(state.book.parked());
        assertEquals(hash("plain"), here(CONFIG).hash());

        List<Command> second = arrives(cert, "cert 9");
        assertTrue(state.book.fetching(late.key()), "the round is not over: the config did not wait for its end");
        assertEquals(2, of(second, Command.Install.class).size(), "the file, then the config it made valid");
        assertEquals(List.of(new Command.ConfigReceived(CONFIG, "b")), of(second, Command.ConfigReceived.class));
        assertEquals(config, here(CONFIG));
        assertEquals("needs new.pem", disk.text(CONFIG));
        assertNull(state.book.parked());
    }

    @Test
    void aParkedConfigIsRefusedWhenWhatItWaitedForIsInWithoutTheFileItNames() {
        Entry other = theirs(WWW.resolve("f1"), null, "other");
        Entry config = theirs(CONFIG, here(CONFIG), "needs new.pem");
        offered(config, other);
        List<Command> first = arrives(config, "needs new.pem");
        assertEquals(List.of(), of(first, Command.Install.class));
        Path temp = state.book.parked().rx.temp;

        List<Command> last = arrives(other, "other");
        assertEquals(1, of(last, Command.Install.class).size(), "only the other file");
        assertEquals(1, of(last, Command.RetryParked.class).size(), "nothing else awaited: the parked config is due");
        assertNull(state.book.parked());
        assertTrue(of(last, Command.DiscardTemp.class).contains(new Command.DiscardTemp(temp)));
        assertNull(disk.text(temp));
        assertEquals("plain", disk.text(CONFIG));
        assertEquals(hash("plain"), here(CONFIG).hash());
        assertEquals(1.0, state.metrics.rejectedCount(MirrorMetrics.INVALID_CONFIG_RECEIVED));
    }

    @Test
    void aCertificateIsHeldUntilItsKeyArrivesAndThenBothArePutInPlace() {
        Entry cert = theirs(CERT, here(CERT), "cert 2");
        Entry key = theirs(KEY, here(KEY), "key 2");
        offered(cert, key);

        List<Command> first = arrives(cert, "cert 2");
        assertEquals(List.of(), of(first, Command.Install.class), "cert 2 does not pass with key 1");
        assertEquals("cert 1", disk.text(CERT));
        assertFalse(state.book.fetching(cert.key()), "its fetch is over: the half waits aside");

        List<Command> second = arrives(key, "key 2");
        List<Command.Install> installs = of(second, Command.Install.class);
        assertEquals(1, installs.size());
        assertNotNull(installs.get(0).partner(), "the certificate held goes in with its key");
        assertEquals("cert 2", disk.text(CERT));
        assertEquals("key 2", disk.text(KEY));
        assertEquals(cert, here(CERT));
        assertEquals(key, here(KEY));
    }

    @Test
    void aFileOfARootThatIsNotMountedNowIsNotWritten() {
        boolean[] mounted = {true};
        core = new MirrorCore(state, disk, Duration.ofMillis(200), r -> mounted[0]);
        Path f0 = WWW.resolve("f0");
        Entry theirs = theirs(f0, here(f0), "theirs");
        mounted[0] = false;
        List<Command> out = arrives(theirs, "theirs");
        assertEquals(List.of(), of(out, Command.Install.class));
        assertEquals(1, of(out, Command.DiscardTemp.class).size());
        assertEquals("content 0", disk.text(f0));
    }

    // ------------------------------------------------------------------ versions that need no content

    @Test
    void aPeersDeletionIsWrittenAndRecordedOnceDone() {
        Path f0 = WWW.resolve("f0");
        Entry deletion = Entry.deletion(here(f0), "b", clock.millis());
        List<Command> out = drive(core.on(new Event.Apply(b, deletion)));
        assertEquals(1, of(out, Command.WriteVersion.class).size());
        assertNull(disk.text(f0));
        assertEquals(deletion, here(f0));
        assertEquals(1.0, state.metrics.deletionsReceived.count());
        assertEquals(List.of(), state.table.conflicts());
    }

    @Test
    void aPeersDeletionThatBeatsAnEditHereNotYetReportedKeepsTheEditBeside() {
        Path f0 = WWW.resolve("f0");
        Entry deletion = Entry.deletion(here(f0), "b", clock.millis());
        disk.write(f0, "mine", clock.millis() - 10_000);
        List<Command> out = drive(core.on(new Event.Apply(b, deletion)));
        Command.WriteVersion w = of(out, Command.WriteVersion.class).get(0);
        assertNotNull(w.keepLocal(), "the edit here became a version first, and lost");
        assertEquals("mine", disk.text(w.keepLocal().keptAs()));
        assertNull(disk.text(f0));
        assertEquals(deletion, here(f0));
        assertEquals(List.of(w.keepLocal().keptAs()),
                state.table.conflicts().stream().map(Conflict::keptAs).collect(Collectors.toList()));
    }

    @Test
    void aPeersDeletionOfTheConfigIsRefused() {
        Entry deletion = Entry.deletion(here(CONFIG), "b", clock.millis());
        List<Command> out = drive(core.on(new Event.Apply(b, deletion)));
        assertEquals(List.of(), of(out, Command.WriteVersion.class));
        assertEquals("plain", disk.text(CONFIG));
        assertFalse(here(CONFIG).deleted());
        assertEquals(1.0, state.metrics.rejectedCount(MirrorMetrics.INVALID_CONFIG_RECEIVED));
    }
}
