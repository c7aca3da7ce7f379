"""What a virtual node tells its clients: the config handshake and answers to local admin.

Pure builders from the run configuration to FromRadio / MeshPacket protobufs; the order of
the handshake follows the firmware: my_info, metadata, node_info (self first, then every
other node), config sections, module configs, channels 0..7, config_complete_id.
"""

from __future__ import annotations

from meshtastic.protobuf import (
    admin_pb2,
    channel_pb2,
    config_pb2,
    mesh_pb2,
    module_config_pb2,
    portnums_pb2,
)

from radio.sim.packets import routing_packet
from radio.sim.topology import NodeSpec, SimConfig, node_id

FIRMWARE_VERSION = "2.7.11.sim"
NODELESS_NONCE = 69420  # "config only, no node DB" (the library's noNodes, newer apps)
NODES_ONLY_NONCE = 69421  # "node DB only" (the second phase of newer apps' handshake)
HW_MODEL = mesh_pb2.HardwareModel.PORTDUINO
MAX_CHANNELS = 8


def user_of(spec: NodeSpec) -> mesh_pb2.User:
    """The User record a node advertises; legacy nodes advertise no public key."""
    user = mesh_pb2.User(
        id=node_id(spec.num),
        long_name=spec.long_name,
        short_name=spec.short_name,
        hw_model=HW_MODEL,
        role=config_pb2.Config.DeviceConfig.Role.CLIENT,
    )
    if not spec.legacy:
        user.public_key = spec.public_key
    return user


def metadata() -> mesh_pb2.DeviceMetadata:
    return mesh_pb2.DeviceMetadata(
        firmware_version=FIRMWARE_VERSION,
        device_state_version=24,
        canShutdown=False,
        hasWifi=True,
        role=config_pb2.Config.DeviceConfig.Role.CLIENT,
        hw_model=HW_MODEL,
        hasPKC=True,
    )


def config_sections(cfg: SimConfig, spec: NodeSpec) -> list[config_pb2.Config]:
    """The Config messages of node `spec`, one section each."""
    lora_cfg = config_pb2.Config.LoRaConfig
    lora = lora_cfg(
        use_preset=True,
        modem_preset=lora_cfg.ModemPreset.Value(cfg.preset),
        region=lora_cfg.RegionCode.Value(cfg.region),
        hop_limit=cfg.hop_limit,
        tx_enabled=True,
        tx_power=20,
    )
    security = config_pb2.Config.SecurityConfig(serial_enabled=True)
    if not spec.legacy:
        security.public_key = spec.public_key
    return [
        config_pb2.Config(
            device=config_pb2.Config.DeviceConfig(
                role=config_pb2.Config.DeviceConfig.Role.CLIENT,
                node_info_broadcast_secs=10800,
            )
        ),
        config_pb2.Config(position=config_pb2.Config.PositionConfig()),
        config_pb2.Config(power=config_pb2.Config.PowerConfig()),
        config_pb2.Config(network=config_pb2.Config.NetworkConfig(wifi_enabled=True)),
        config_pb2.Config(display=config_pb2.Config.DisplayConfig()),
        config_pb2.Config(lora=lora),
        config_pb2.Config(bluetooth=config_pb2.Config.BluetoothConfig(enabled=False)),
        config_pb2.Config(security=security),
    ]


def channel(index: int) -> channel_pb2.Channel:
    """Channel `index`: 0 is the PRIMARY default channel (name "", psk 0x01), others DISABLED."""
    if index == 0:
        return channel_pb2.Channel(
            index=0,
            role=channel_pb2.Channel.Role.PRIMARY,
            settings=channel_pb2.ChannelSettings(name="", psk=b"\x01"),
        )
    return channel_pb2.Channel(index=index, role=channel_pb2.Channel.Role.DISABLED)


def node_infos(cfg: SimConfig, index: int, now: int) -> list[mesh_pb2.NodeInfo]:
    """Node DB as node `index` sees it: itself first, then every other node of the mesh."""
    spec = cfg.nodes[index]
    infos = [mesh_pb2.NodeInfo(num=spec.num, user=user_of(spec))]
    hops = cfg.hops_away(index)
    for other in cfg.nodes:
        if other.index == index:
            continue
        info = mesh_pb2.NodeInfo(num=other.num, user=user_of(other), last_heard=now)
        link = cfg.links.get((other.index, index))
        if link is not None:
            info.snr = link.snr
        if other.index in hops:
            info.hops_away = hops[other.index]
        infos.append(info)
    return infos


def handshake(cfg: SimConfig, index: int, nonce: int, now: int) -> list[mesh_pb2.FromRadio]:
    """The answer to `want_config_id = nonce` on node `index`, at wall time `now` (s)."""
    spec = cfg.nodes[index]
    my_info = mesh_pb2.FromRadio(
        my_info=mesh_pb2.MyNodeInfo(
            my_node_num=spec.num,
            min_app_version=30200,
            pio_env="canopy-sim",
            nodedb_count=len(cfg.nodes),
        )
    )
    if nonce == NODES_ONLY_NONCE:
        nodes = [mesh_pb2.FromRadio(node_info=n) for n in node_infos(cfg, index, now)]
        return [my_info, *nodes, mesh_pb2.FromRadio(config_complete_id=nonce)]
    out = [
        my_info,
        mesh_pb2.FromRadio(metadata=metadata()),
        mesh_pb2.FromRadio(node_info=mesh_pb2.NodeInfo(num=spec.num, user=user_of(spec))),
    ]
    if nonce != NODELESS_NONCE:
        out.extend(mesh_pb2.FromRadio(node_info=n) for n in node_infos(cfg, index, now)[1:])
    out.extend(mesh_pb2.FromRadio(config=c) for c in config_sections(cfg, spec))
    out.append(
        mesh_pb2.FromRadio(
            moduleConfig=module_config_pb2.ModuleConfig(
                mqtt=module_config_pb2.ModuleConfig.MQTTConfig(enabled=False)
            )
        )
    )
    out.extend(mesh_pb2.FromRadio(channel=channel(i)) for i in range(MAX_CHANNELS))
    out.append(mesh_pb2.FromRadio(config_complete_id=nonce))
    return out


def admin_reply(
    cfg: SimConfig, index: int, request: mesh_pb2.MeshPacket
) -> mesh_pb2.MeshPacket | None:
    """Answer a local AdminMessage (get requests); None for what the sim does not support.

    Raises google.protobuf.message.DecodeError for an undecodable admin payload.
    """
    spec = cfg.nodes[index]
    msg = admin_pb2.AdminMessage()
    msg.ParseFromString(request.decoded.payload)
    reply = admin_pb2.AdminMessage()
    which = msg.WhichOneof("payload_variant")
    if which == "get_owner_request":
        reply.get_owner_response.CopyFrom(user_of(spec))
    elif which == "get_device_metadata_request":
        reply.get_device_metadata_response.CopyFrom(metadata())
    elif which == "get_channel_request":
        i = msg.get_channel_request - 1
        if not 0 <= i < MAX_CHANNELS:
            return None
        reply.get_channel_response.CopyFrom(channel(i))
    elif which == "get_config_request":
        wanted = config_pb2.Config.DESCRIPTOR.oneofs_by_name["payload_variant"].fields
        sections = {s.WhichOneof("payload_variant"): s for s in config_sections(cfg, spec)}
        name = wanted[msg.get_config_request].name if msg.get_config_request < len(wanted) else ""
        if name not in sections:
            return None
        reply.get_config_response.CopyFrom(sections[name])
    else:
        return None
    p = mesh_pb2.MeshPacket(to=spec.num, id=0, channel=request.channel)
    setattr(p, "from", spec.num)
    p.decoded.portnum = portnums_pb2.PortNum.ADMIN_APP
    p.decoded.payload = reply.SerializeToString()
    p.decoded.request_id = request.id
    return p


def routing_ack(num: int, request: mesh_pb2.MeshPacket) -> mesh_pb2.MeshPacket:
    """The local node's ACK (Routing error NONE) of a packet it handled itself."""
    ack = routing_packet(num, num, 0, request.id, mesh_pb2.Routing.Error.NONE)
    ack.channel = request.channel
    return ack
