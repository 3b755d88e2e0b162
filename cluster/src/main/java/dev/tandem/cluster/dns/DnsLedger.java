package dev.tandem.cluster.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The record values Tandem added, in {@code cluster.state_dir}: per record name, the addresses a Tandem node put in
 * it (this node's, and a peer's as that peer claims in its heartbeats). Only these are ever removed from a record:
 * a value someone else wrote stays, even one equal to a node's address. A value enters before the update that adds
 * it is sent, and only when the read the change was decided on showed it absent (the update's prerequisite: the
 * server applies it only on the record as that read showed it, so the value was absent as it went in); it leaves
 * once removed, or once a read shows
 * it gone.
 *
 * <p>Each change replaces the file whole: a temporary file, synced, renamed over the ledger, and the directory
 * synced. Unlike the addresses a node holds, a record outlives the host that wrote it, and so must the knowledge
 * that it was Tandem's. Blocking: used on the DNS driver's own thread only.
 *
 * <p>The file: one line per value, {@code NAME ADDRESS}.
 */
public final class DnsLedger {

    private final Path file;
    private final Map<String, Set<String>> values = new TreeMap<>();

    private DnsLedger(Path file) {
        this.file = file;
    }

    /** The ledger of node {@code node} in {@code stateDir}. */
    public static Path file(Path stateDir, String node) {
        return stateDir.resolve("dns-" + node + ".added");
    }

    /** Reads the ledger; none yet is an empty one. */
    public static DnsLedger open(Path file) throws IOException {
        DnsLedger l = new DnsLedger(file);
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] f = line.trim().split("\\s+");
                if (f.length == 2) {
                    l.values.computeIfAbsent(f[0], k -> new TreeSet<>()).add(f[1]);
                }
            }
        } catch (NoSuchFileException e) {
            // A node that never added a value.
        }
        return l;
    }

    /** Where the ledger is kept. */
    public Path file() {
        return file;
    }

    /** Whether Tandem added {@code address} to {@code record}. */
    public boolean contains(String record, InetAddress address) {
        return values.getOrDefault(record, Set.of()).contains(address.getHostAddress());
    }

    /** The values Tandem added to {@code record}, as text. */
    public Set<String> values(String record) {
        return Set.copyOf(values.getOrDefault(record, Set.of()));
    }

    /** Records {@code addresses} as Tandem's in {@code record}, on disk before it returns. */
    public void add(String record, Collection<InetAddress> addresses) throws IOException {
        if (addresses.isEmpty()) {
            return;
        }
        boolean changed = false;
        for (InetAddress a : addresses) {
            changed |= values.computeIfAbsent(record, k -> new TreeSet<>()).add(a.getHostAddress());
        }
        if (changed) {
            write();
        }
    }

    /** Forgets {@code addresses} in {@code record}. */
    public void remove(String record, Collection<InetAddress> addresses) throws IOException {
        Set<String> in = values.get(record);
        if (in == null) {
            return;
        }
        boolean changed = false;
        for (InetAddress a : addresses) {
            changed |= in.remove(a.getHostAddress());
        }
        if (in.isEmpty()) {
            values.remove(record);
        }
        if (changed) {
            write();
        }
    }

    /** Forgets every value of {@code record} not in {@code present}: the record as just read back. */
    public void retain(String record, Set<InetAddress> present) throws IOException {
        Set<String> in = values.get(record);
        if (in == null) {
            return;
        }
        Set<String> keep = new TreeSet<>();
        present.forEach(a -> keep.add(a.getHostAddress()));
        if (in.retainAll(keep)) {
            if (in.isEmpty()) {
                values.remove(record);
            }
            write();
        }
    }

    private void write() throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        StringBuilder text = new StringBuilder();
        values.forEach((record, addresses) -> addresses.forEach(a -> text.append(record).append(' ').append(a)
                .append('\n')));
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Some file systems cannot sync a directory; the rename is still atomic.
        }
    }
}
