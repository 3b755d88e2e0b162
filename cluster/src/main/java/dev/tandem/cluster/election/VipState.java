package dev.tandem.cluster.election;

/** The RFC 5798 states; {@link #code()} is the value of {@code tandem_vip_state}. */
public enum VipState {
    INIT(0), BACKUP(1), MASTER(2);

    private final int code;

    VipState(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
