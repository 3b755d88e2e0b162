package dev.tandem.cluster.mirror;

import static dev.tandem.cluster.mirror.MirrorNodes.read;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.cluster.key.ClusterKeys;
import dev.tandem.cluster.mirror.internal.Entry;
import dev.tandem.cluster.mirror.internal.EntryKey;
import dev.tandem.cluster.mirror.internal.FrameCipher;
import dev.tandem.cluster.mirror.internal.Handshake;
import dev.tandem.cluster.mirror.internal.Messages;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rolling upgrade: a node of this release and one of the release before links and owners (protocol 1), played
 * by the test, keep mirroring in both directions; links and owners are simply not exchanged.
 */
class MirrorUpgradeTest {

    private static final byte[] KEY = ClusterKeys.of(MirrorNodes.SECRET).mirrorKey();

    @TempDir
    Path base;
    private MirrorNodes nodes;

    @AfterEach
    void stop() {
        if (nodes != null) {
            nodes.close();
        }
    }

    private static String sha256(byte[] content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    @Test
    void anOlderReleaseDialingInIsAnsweredInItsProtocolAndItsFilesApplied() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        nodes.start("b").firstSync().get(10, TimeUnit.SECONDS);
        byte[] content = "from the older release\n".getBytes(StandardCharsets.US_ASCII);
        Entry e = Entry.edit(new EntryKey("www", "old.txt"), null, "a", System.currentTimeMillis(), sha256(content),
                0644, content.length);
        try (FakePeer p = FakePeer.authenticated(nodes.address("b"), "a", KEY, Handshake.OLDEST)) {
            int[] next = {0};
            p.send(Messages.offer(1, List.of(e), 0, next, Handshake.OLDEST));
            p.send(Messages.offerEnd(1, true));
            Messages.Want want = assertInstanceOf(Messages.Want.class, p.receive());
            assertEquals(e.key(), want.items().get(0).key());
            p.send(Messages.fileStart(e, Handshake.OLDEST));
            p.sendData(content, 0, content.length);
            p.send(Messages.fileEnd());
            assertInstanceOf(Messages.Done.class, p.receive());
        }
        assertEquals("from the older release\n", read(nodes.www("b").resolve("old.txt")));
    }

    @Test
    void aNodeDialingAnOlderReleaseOffersItsProtocolAfterARefusalAndLeavesLinksOut() throws Exception {
        nodes = new MirrorNodes(base, "a", "b");
        Files.writeString(nodes.www("a").resolve("page.html"), "hello");
        Files.createSymbolicLink(nodes.www("a").resolve("current"), Path.of("page.html"));
        AtomicInteger refusedHellos = new AtomicInteger();
        Set<String> offered = ConcurrentHashMap.newKeySet();
        InetSocketAddress b = nodes.address("b");
        try (ServerSocket listener = new ServerSocket(b.getPort(), 4, b.getAddress())) {
            Thread old = new Thread(() -> playOlderListener(listener, refusedHellos, offered), "older-release");
            old.setDaemon(true);
            old.start();
            nodes.start("a");
            // a's first hello offers protocol 2, which the older listener closes unanswered; the next offers 1
            await().atMost(20, TimeUnit.SECONDS).until(() -> offered.contains("page.html"));
            assertTrue(refusedHellos.get() >= 1);
            assertTrue(!offered.contains("current"), "a link is not offered to a node that cannot carry it");
            listener.close();
            old.join(5000);
        }
    }

    /**
     * Does what a listener of protocol 1 does: closes a hello of any other protocol at once; answers one of
     * protocol 1, then records the paths offered on that connection.
     */
    private static void playOlderListener(ServerSocket listener, AtomicInteger refusedHellos, Set<String> offered) {
        while (!listener.isClosed()) {
            try (Socket s = listener.accept()) {
                s.setSoTimeout(5000);
                DataInputStream in = new DataInputStream(s.getInputStream());
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                byte[] hello = new byte[in.readInt()];
                in.readFully(hello);
                if (hello[1 + 8] != Handshake.OLDEST) {
                    refusedHellos.incrementAndGet();
                    continue;
                }
                Handshake h = new Handshake(KEY, false, "b");
                ByteBuf m = Unpooled.buffer();
                FrameCipher open;
                try {
                    m.writeBytes(hello);
                    h.readClientHello(m);
                    m.clear();
                    h.writeServerHello(m);
                    out.writeInt(m.readableBytes());
                    out.write(m.array(), m.arrayOffset() + m.readerIndex(), m.readableBytes());
                    out.flush();
                    m.clear();
                    byte[] finish = new byte[in.readInt()];
                    in.readFully(finish);
                    m.writeBytes(finish);
                    h.readClientFinish(m);
                    assertEquals(Handshake.OLDEST, h.protocol());
                    open = FrameCipher.opening(h.keys().receiveKey(), h.keys().receiveIv());
                } finally {
                    m.release();
                }
                while (true) {
                    byte[] frame = new byte[in.readInt()];
                    in.readFully(frame);
                    ByteBuf f = Unpooled.wrappedBuffer(frame);
                    ByteBuf plain = open.open(f);
                    f.release();
                    try {
                        if (Messages.decode(plain, Handshake.OLDEST) instanceof Messages.Offer o) {
                            o.entries().forEach(e -> offered.add(e.key().rel()));
                        }
                    } finally {
                        plain.release();
                    }
                }
            } catch (Exception e) {
                // the connection ended (or the listener was closed): accept the next
            }
        }
    }
}
