package dev.tandem.cluster.vip;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The record, in {@code cluster.state_dir}, of every address and nftables table this node put on its host
 * ({@code cluster-NODE.held}), for {@code tandem cleanup} (the unit's {@code ExecStopPost}) to remove after a
 * process killed at any instant (SIGKILL, the OOM killer). A table is written down before it is added; an address
 * right after it is added ({@link RecordedVipDriver}: the add sends the takeover's first gratuitous ARP, which the
 * write must not hold up), so a process killed in between leaves an unrecorded address of a VIP of its config,
 * which the cleanup removes with every address of the config's VIPs. A thing is struck off once it is removed. A record that is stale the
 * other way (a thing listed that is gone) costs a removal that finds nothing.
 *
 * <p>Each write replaces the file whole: a temporary file, renamed over the record. Nothing is synced to the disk:
 * what the record guards against is a process that dies, and its writes outlive it in the page cache; a host
 * that dies takes the addresses and tables the record lists with it. Two fsyncs at a takeover (16 to 38 ms on a
 * busy host) held every unplanned failover up by as much.
 * The last line is a CRC-32 of the lines before it; a record that fails it (a disk that lied) is ignored with a
 * warning, never an error: the cleanup falls back to what the config's VIPs would have left.
 *
 * <p>While it holds anything, the node also holds a lock ({@code cluster-NODE.lock}), so that a cleanup run by
 * hand never takes the addresses of a node that runs. The kernel drops the lock with the process, killed or not.
 * Holding nothing, it lets go of it.
 */
public final class HeldAddresses {

    private static final Logger log = LoggerFactory.getLogger(HeldAddresses.class);
    private static final String HEADER = "# tandem: addresses and nftables tables node %s put on this host;"
            + " removed by tandem cleanup";

    private final Path file;
    private final String node;
    private final Set<Held> held = new LinkedHashSet<>();
    private FileChannel lockChannel;
    private boolean lockTried;

    private HeldAddresses(Path file, String node) {
        this.file = file;
        this.node = node;
    }

    /** The record of node {@code node} in {@code stateDir}. */
    public static Path file(Path stateDir, String node) {
        return stateDir.resolve("cluster-" + node + ".held");
    }

    private static Path lockFile(Path stateDir, String node) {
        return stateDir.resolve("cluster-" + node + ".lock");
    }

    /**
     * The record of node {@code node}, with what a previous run left in it: those things are on the host until
     * they are removed (and struck off). A damaged record is logged and read as empty. Reads only; nothing is
     * written (nor the state directory made) until something is added.
     */
    public static HeldAddresses open(Path stateDir, String node) {
        HeldAddresses h = new HeldAddresses(file(stateDir, node), node);
        h.held.addAll(read(h.file));
        return h;
    }

    /**
     * What the record at {@code file} lists; empty when there is none, and when it is damaged (logged at WARN).
     */
    public static List<Held> read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            log.warn("cannot read the VIP record {} ({}): ignored; what the config's VIPs would leave is removed "
                    + "all the same", file, e.toString());
            return List.of();
        }
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            log.warn("VIP record {} is damaged ({}): ignored; what the config's VIPs would leave is removed all the same",
                    file, e.getMessage());
            return List.of();
        }
    }

    static List<Held> parse(String text) {
        int last = text.lastIndexOf("crc32 ");
        if (last < 0 || (last > 0 && text.charAt(last - 1) != '\n')) {
            throw new IllegalArgumentException("no checksum line (torn)");
        }
        String body = text.substring(0, last);
        String sum = text.substring(last + "crc32 ".length()).trim();
        if (!sum.equals(crc(body))) {
            throw new IllegalArgumentException("checksum " + sum + " does not match the content (" + crc(body) + ")");
        }
        List<Held> things = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                things.add(Held.parse(line));
            }
        }
        return things;
    }

    /** The text of a record of {@code things}, as written. */
    public static String format(String node, Iterable<Held> things) {
        StringBuilder body = new StringBuilder(String.format(HEADER, node)).append('\n');
        for (Held h : things) {
            body.append(h.line()).append('\n');
        }
        return body + "crc32 " + crc(body.toString()) + "\n";
    }

    private static String crc(String body) {
        CRC32 c = new CRC32();
        c.update(body.getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", c.getValue());
    }

    /**
     * Records {@code thing} (a table before it is put on the host, an address once added); it outlives this process
     * once this returns.
     */
    public synchronized void add(Held thing) throws IOException {
        if (held.add(thing)) {
            try {
                write();
            } catch (IOException e) {
                held.remove(thing);
                throw e;
            }
        }
    }

    /** Strikes {@code things} off once they are gone from the host (one write for all). */
    public synchronized void remove(List<Held> things) throws IOException {
        if (held.removeAll(things)) {
            write();
        }
    }

    /** What the record lists now. */
    public synchronized List<Held> held() {
        return List.copyOf(held);
    }

    public Path file() {
        return file;
    }

    private void write() throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        if (held.isEmpty()) {
            Files.deleteIfExists(file);
            unlock();
        } else {
            lock(dir);
            Path tmp = dir.resolve(file.getFileName() + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer bytes = ByteBuffer.wrap(format(node, held).getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Holding nothing, the node lets a cleanup run (it finds nothing of this node's to remove). */
    private void unlock() {
        lockTried = false;
        if (lockChannel != null) {
            try {
                lockChannel.close();
            } catch (IOException e) {
                // closed all the same
            }
            lockChannel = null;
        }
    }

    /** Takes the node's lock once it holds something, until it holds nothing (or the process ends). */
    private void lock(Path dir) {
        if (lockTried) {
            return;
        }
        lockTried = true;
        try {
            FileChannel ch = FileChannel.open(lockFile(dir, node), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock l = ch.tryLock();
            if (l == null) {
                log.warn("{}: another process holds it: is node {} running twice on this host?", lockFile(dir, node), node);
                ch.close();
                return;
            }
            lockChannel = ch;
        } catch (IOException | OverlappingFileLockException e) {
            log.warn("cannot lock {} ({}): a tandem cleanup run by hand would not see that this node runs",
                    lockFile(dir, node), e.toString());
        }
    }

    /**
     * Whether a running process (a node holding addresses) holds node {@code node}'s lock in {@code stateDir}.
     * False when there is no lock file: the node holds nothing.
     */
    public static boolean inUse(Path stateDir, String node) throws IOException {
        Path lock = lockFile(stateDir, node);
        if (!Files.exists(lock)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.WRITE)) {
            FileLock l = ch.tryLock();
            if (l == null) {
                return true;
            }
            l.release();
            return false;
        } catch (OverlappingFileLockException e) {
            // this very process holds it
            return true;
        }
    }
}
