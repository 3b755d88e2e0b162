package dev.tandem.cluster.mirror.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledHeapByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The mirror's messages, as they travel inside the encrypted frames of a connection. A connection carries one
 * node's offers and files to another (the dialer sends, the listener receives and asks); both sides send
 * summaries.
 *
 * <pre>
 * dialer -> listener: OFFER (versions of paths), OFFER_END (the round is complete), FILE_START, FILE_DATA...,
 *                     FILE_END or FILE_ABORT (one file at a time)
 * listener -> dialer: WANT (paths whose content it needs), DONE (everything of a round is applied)
 * both:               SUMMARY (a digest per root, to tell whether the two hold the same files)
 * </pre>
 *
 * Everything received is checked here for shape (lengths, counts, names); what it means is checked by the
 * receiver.
 */
public final class Messages {

    public static final byte OFFER = 1;
    public static final byte OFFER_END = 2;
    public static final byte WANT = 3;
    public static final byte FILE_START = 4;
    public static final byte FILE_DATA = 5;
    public static final byte FILE_END = 6;
    public static final byte FILE_ABORT = 7;
    public static final byte DONE = 8;
    public static final byte SUMMARY = 9;

    /** A frame's plaintext never exceeds this; a larger one is a broken or hostile peer. */
    public static final int MAX_MESSAGE = 1024 * 1024;
    /** File content travels in pieces of this size. */
    public static final int CHUNK = 64 * 1024;
    /** Offers and wants are cut into messages of about this size. */
    static final int BATCH_BYTES = 48 * 1024;
    private static final int MAX_NODES = 256;
    /** An entry's kind: a symbolic link, whose target follows (else a file, or a tombstone). */
    private static final int LINK = 1;
    /** User and group names longer than this are no names (Linux allows 32). */
    private static final int MAX_NAME = 256;

    private Messages() {
    }

    /** A message that does not parse. */
    public static final class Malformed extends Exception {
        public Malformed(String message) {
            super(message);
        }
    }

    public sealed interface Message permits Offer, OfferEnd, Want, FileStart, FileData, FileEnd, FileAbort, Done,
            Summary {
    }

    public record Offer(long round, List<Entry> entries) implements Message {
    }

    /** @param full true when the round offered every path (a sync), false for a batch of changes */
    public record OfferEnd(long round, boolean full) implements Message {
    }

    /** A version asked for: the content of {@code key} at {@code label} ({@code version@origin}). */
    public record Wanted(EntryKey key, long version, String origin) {
    }

    public record Want(List<Wanted> items) implements Message {
    }

    public record FileStart(Entry entry) implements Message {
    }

    /** A piece of the current file; holds a buffer the receiver must release. */
    public static final class FileData extends DefaultByteBufHolder implements Message {
        public FileData(ByteBuf data) {
            super(data);
        }
    }

    public record FileEnd() implements Message {
    }

    /** The sender cannot send {@code key} after all (gone, or changed while being read); ends a file begun. */
    public record FileAbort(EntryKey key, String reason) implements Message {
    }

    public record Done(long round) implements Message {
    }

    /**
     * @param boot       when the sending process started (ms): a restarted peer's first summary replaces the last
     * @param generation grows with each summary the sending process sends
     */
    public record Summary(long boot, long generation, Map<String, MirrorTable.RootDigest> roots) implements Message {
    }

    // ------------------------------------------------------------------ encoding

    /**
     * A plain heap buffer for a message of many small fields: written field by field, then sealed into a frame
     * at once. (The allocator's buffers cost more per field written: in tests they record every access, for
     * the leak detector; file content, a few large writes per chunk, uses them.)
     */
    static ByteBuf heap(int initialCapacity) {
        return new UnpooledHeapByteBuf(UnpooledByteBufAllocator.DEFAULT, initialCapacity, Math.max(initialCapacity, MAX_MESSAGE));
    }

    /**
     * Encodes {@code entries[from..]} into one OFFER of about {@link #BATCH_BYTES}; returns the buffer and
     * sets {@code next[0]} to the index of the first entry left out.
     */
    public static ByteBuf offer(long round, List<Entry> entries, int from, int[] next) {
        return offer(round, entries, from, next, Handshake.PROTOCOL);
    }

    /** The same, for a peer speaking {@code protocol} (see {@link #entry}). */
    public static ByteBuf offer(long round, List<Entry> entries, int from, int[] next, int protocol) {
        ByteBuf b = heap(Math.min(BATCH_BYTES + 8192, 256 + 200 * (entries.size() - from)));
        try {
            b.writeByte(OFFER).writeLong(round);
            int countAt = b.writerIndex();
            b.writeShort(0);
            int i = from;
            int count = 0;
            while (i < entries.size() && count < 65535 && (count == 0 || b.readableBytes() < BATCH_BYTES)) {
                entry(b, entries.get(i++), protocol);
                count++;
            }
            b.setShort(countAt, count);
            next[0] = i;
            return b;
        } catch (RuntimeException e) {
            b.release();
            throw e;
        }
    }

    public static ByteBuf offerEnd(long round, boolean full) {
        return heap(10).writeByte(OFFER_END).writeLong(round).writeBoolean(full);
    }

    /** Like {@link #offer}: one WANT of about {@link #BATCH_BYTES} from {@code items[from..]}. */
    public static ByteBuf want(List<Wanted> items, int from, int[] next) {
        ByteBuf b = heap(Math.min(BATCH_BYTES + 8192, 64 + 100 * (items.size() - from)));
        try {
            b.writeByte(WANT);
            int countAt = b.writerIndex();
            b.writeShort(0);
            int i = from;
            int count = 0;
            while (i < items.size() && count < 65535 && (count == 0 || b.readableBytes() < BATCH_BYTES)) {
                Wanted w = items.get(i++);
                key(b, w.key());
                b.writeLong(w.version());
                string(b, w.origin());
                count++;
            }
            b.setShort(countAt, count);
            next[0] = i;
            return b;
        } catch (RuntimeException e) {
            b.release();
            throw e;
        }
    }

    public static ByteBuf fileStart(Entry entry) {
        return fileStart(entry, Handshake.PROTOCOL);
    }

    public static ByteBuf fileStart(Entry entry, int protocol) {
        ByteBuf b = heap(256);
        try {
            b.writeByte(FILE_START);
            entry(b, entry, protocol);
            return b;
        } catch (RuntimeException e) {
            b.release();
            throw e;
        }
    }

    /** FILE_DATA: the type byte, to be followed by the content (see {@link #CHUNK}). */
    public static ByteBuf fileDataHeader(ByteBufAllocator alloc, int contentBytes) {
        return alloc.buffer(1 + contentBytes).writeByte(FILE_DATA);
    }

    public static ByteBuf fileEnd() {
        return heap(1).writeByte(FILE_END);
    }

    public static ByteBuf fileAbort(EntryKey key, String reason) {
        ByteBuf b = heap(128).writeByte(FILE_ABORT);
        key(b, key);
        string(b, reason.length() > 200 ? reason.substring(0, 200) : reason);
        return b;
    }

    public static ByteBuf done(long round) {
        return heap(9).writeByte(DONE).writeLong(round);
    }

    public static ByteBuf summary(Summary s) {
        ByteBuf b = heap(64 + 80 * s.roots().size());
        b.writeByte(SUMMARY).writeLong(s.boot()).writeLong(s.generation()).writeShort(s.roots().size());
        s.roots().forEach((root, d) -> {
            string(b, root);
            b.writeBytes(HexFormat.of().parseHex(d.digest()));
            b.writeInt(d.files()).writeLong(d.bytes()).writeLong(d.version());
        });
        return b;
    }

    /**
     * One entry. Protocol 1 (an older release) knows neither links nor owners: the entry ends with its size, and
     * a link must not be written at all (its hash would be taken for a file's content).
     */
    private static void entry(ByteBuf b, Entry e, int protocol) {
        if (protocol < 2 && e.isLink()) {
            throw new IllegalArgumentException(e.key() + ": a link, for a peer of protocol " + protocol);
        }
        key(b, e.key());
        b.writeLong(e.version());
        string(b, e.origin());
        b.writeLong(e.changedAt());
        Map<String, Long> v = e.vector().counters();
        b.writeShort(v.size());
        v.forEach((node, n) -> {
            string(b, node);
            b.writeLong(n);
        });
        b.writeBoolean(e.deleted());
        if (!e.deleted()) {
            b.writeBytes(HexFormat.of().parseHex(e.hash()));
        }
        b.writeShort(e.mode()).writeLong(e.size());
        if (protocol < 2) {
            return;
        }
        b.writeByte(e.isLink() ? LINK : 0);
        if (e.isLink()) {
            string(b, e.link());
        }
        string(b, e.owner());
        string(b, e.group());
    }

    private static void key(ByteBuf b, EntryKey k) {
        string(b, k.root());
        string(b, k.rel());
    }

    private static void string(ByteBuf b, String s) {
        int at = b.writerIndex();
        b.writeShort(0);
        int n = b.writeCharSequence(s, StandardCharsets.UTF_8);
        if (n > 65535) {
            throw new IllegalArgumentException("string of " + n + " bytes");
        }
        b.setShort(at, n);
    }

    // ------------------------------------------------------------------ decoding

    /**
     * The message in {@code b} (read entirely; not released). A {@link FileData} holds a retained slice of
     * {@code b}.
     */
    public static Message decode(ByteBuf b) throws Malformed {
        return decode(b, Handshake.PROTOCOL);
    }

    /** The same, from a peer speaking {@code protocol}. */
    public static Message decode(ByteBuf b, int protocol) throws Malformed {
        try {
            Message m = switch (b.readByte()) {
                case OFFER -> {
                    long round = b.readLong();
                    int n = b.readUnsignedShort();
                    List<Entry> entries = new ArrayList<>(Math.min(n, 1024));
                    for (int i = 0; i < n; i++) {
                        entries.add(readEntry(b, protocol));
                    }
                    yield new Offer(round, entries);
                }
                case OFFER_END -> new OfferEnd(b.readLong(), b.readBoolean());
                case WANT -> {
                    int n = b.readUnsignedShort();
                    List<Wanted> items = new ArrayList<>(Math.min(n, 1024));
                    for (int i = 0; i < n; i++) {
                        items.add(new Wanted(readKey(b), b.readLong(), readString(b)));
                    }
                    yield new Want(items);
                }
                case FILE_START -> new FileStart(readEntry(b, protocol));
                case FILE_DATA -> new FileData(b.readRetainedSlice(b.readableBytes()));
                case FILE_END -> new FileEnd();
                case FILE_ABORT -> new FileAbort(readKey(b), readString(b));
                case DONE -> new Done(b.readLong());
                case SUMMARY -> {
                    long boot = b.readLong();
                    long generation = b.readLong();
                    int n = b.readUnsignedShort();
                    Map<String, MirrorTable.RootDigest> roots = new LinkedHashMap<>();
                    for (int i = 0; i < n; i++) {
                        String root = readString(b);
                        byte[] digest = new byte[32];
                        b.readBytes(digest);
                        roots.put(root, new MirrorTable.RootDigest(FileStore.hex(digest), b.readInt(), b.readLong(),
                                b.readLong()));
                    }
                    yield new Summary(boot, generation, roots);
                }
                default -> throw new Malformed("unknown message type " + b.getByte(b.readerIndex() - 1));
            };
            if (b.isReadable()) {
                if (m instanceof FileData d) {
                    d.release();
                }
                throw new Malformed("trailing bytes after message");
            }
            return m;
        } catch (IndexOutOfBoundsException e) {
            throw new Malformed("truncated message");
        } catch (IllegalArgumentException e) {
            throw new Malformed(e.getMessage());
        }
    }

    private static Entry readEntry(ByteBuf b, int protocol) throws Malformed {
        EntryKey key = readKey(b);
        long version = b.readLong();
        String origin = readString(b);
        long changedAt = b.readLong();
        int n = b.readUnsignedShort();
        if (n > MAX_NODES) {
            throw new Malformed("version vector of " + n + " nodes");
        }
        Map<String, Long> v = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            v.put(readString(b), b.readLong());
        }
        boolean deleted = b.readBoolean();
        String hash = "";
        if (!deleted) {
            hash = ByteBufUtil.hexDump(b, b.readerIndex(), 32);
            b.skipBytes(32);
        }
        int mode = b.readUnsignedShort();
        long size = b.readLong();
        if (size < 0 || mode > 07777) {
            throw new Malformed("size " + size + ", mode " + Integer.toOctalString(mode));
        }
        if (protocol < 2) {
            return new Entry(key, version, origin, VersionVector.of(v), changedAt, hash, deleted, mode, size);
        }
        int kind = b.readUnsignedByte();
        if (kind != 0 && kind != LINK) {
            throw new Malformed("entry kind " + kind);
        }
        String link = null;
        if (kind == LINK) {
            link = readString(b);
            if (link.isEmpty() || link.length() > Symlinks.MAX_TARGET || link.indexOf('\0') >= 0
                    || !hash.equals(Symlinks.hash(link))) {
                throw new Malformed(key + ": a link whose target is empty, too long, or not what its hash says");
            }
        }
        String owner = readString(b);
        String group = readString(b);
        if (owner.length() > MAX_NAME || group.length() > MAX_NAME) {
            throw new Malformed(key + ": owner or group name of over " + MAX_NAME + " characters");
        }
        return new Entry(key, version, origin, VersionVector.of(v), changedAt, hash, deleted, mode, size, link, owner,
                group);
    }

    private static EntryKey readKey(ByteBuf b) throws Malformed {
        String root = readString(b);
        String rel = readString(b);
        if (root.isEmpty()) {
            throw new Malformed("empty root");
        }
        return new EntryKey(root, rel);
    }

    private static String readString(ByteBuf b) {
        int n = b.readUnsignedShort();
        return b.readCharSequence(n, StandardCharsets.UTF_8).toString();
    }
}
