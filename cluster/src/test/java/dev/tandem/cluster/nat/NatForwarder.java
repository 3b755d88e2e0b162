package dev.tandem.cluster.nat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A router's NAT for one node on loopback: what reaches the node's public address (UDP and TCP, one port) is
 * sent on to its private (bound) address, from the public address of the other side, as nftables' {@code dnat}
 * on the way in and {@code masquerade} on the way out would make it look. The node behind never sees its public
 * address, and its peer's packets arrive from the peer's public address.
 */
final class NatForwarder implements AutoCloseable {

    private final InetAddress publicAddress;
    private final InetAddress privateAddress;
    private final InetAddress seenFrom;
    private final int port;
    private final DatagramSocket udpIn;
    private final DatagramSocket udpOut;
    private final ServerSocket tcpIn;
    private final List<java.io.Closeable> open = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;

    /**
     * @param seenFrom the address forwarded traffic comes from (the other node's public address)
     */
    NatForwarder(String publicAddress, String privateAddress, String seenFrom, int port) throws IOException {
        this.publicAddress = InetAddress.getByName(publicAddress);
        this.privateAddress = InetAddress.getByName(privateAddress);
        this.seenFrom = InetAddress.getByName(seenFrom);
        this.port = port;
        this.udpIn = new DatagramSocket(new InetSocketAddress(this.publicAddress, port));
        this.udpOut = new DatagramSocket(new InetSocketAddress(this.seenFrom, 0));
        this.tcpIn = new ServerSocket();
        tcpIn.setReuseAddress(true);
        tcpIn.bind(new InetSocketAddress(this.publicAddress, port));
        thread("nat-udp-" + publicAddress, this::udp);
        thread("nat-tcp-" + publicAddress, this::tcp);
    }

    private static void thread(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    private void udp() {
        byte[] buf = new byte[65535];
        while (running) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                udpIn.receive(p);
                udpOut.send(new DatagramPacket(p.getData(), p.getOffset(), p.getLength(),
                        new InetSocketAddress(privateAddress, port)));
            } catch (IOException e) {
                if (!running) {
                    return;
                }
            }
        }
    }

    private void tcp() {
        while (running) {
            try {
                Socket in = tcpIn.accept();
                Socket out = new Socket();
                open.add(in);
                open.add(out);
                try {
                    out.bind(new InetSocketAddress(seenFrom, 0));
                    out.connect(new InetSocketAddress(privateAddress, port), 2000);
                } catch (IOException e) {
                    in.close();
                    out.close();
                    continue;
                }
                thread("nat-pipe-in", () -> pipe(in, out));
                thread("nat-pipe-out", () -> pipe(out, in));
            } catch (IOException e) {
                if (!running) {
                    return;
                }
            }
        }
    }

    private static void pipe(Socket from, Socket to) {
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // either side gone: close both below
        } finally {
            try {
                from.close();
                to.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    @Override
    public void close() {
        running = false;
        udpIn.close();
        udpOut.close();
        try {
            tcpIn.close();
        } catch (IOException ignored) {
            // closing
        }
        for (java.io.Closeable c : open) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

}
