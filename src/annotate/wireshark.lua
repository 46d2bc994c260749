-- wsclose's Wireshark plugin: Expert Info and a `wsclose` tree from the packet comments that
-- `wsclose annotate` writes (printed by `wsclose wireshark-plugin`).
--
-- Install (then restart Wireshark, or Analyze > Reload Lua Plugins, Ctrl+Shift+L):
--   Linux, macOS: wsclose wireshark-plugin > ~/.local/lib/wireshark/plugins/wsclose.lua
--   Windows:      wsclose wireshark-plugin > %APPDATA%\Wireshark\plugins\wsclose.lua
-- (Help > About Wireshark > Folders names the personal Lua plugins folder of your build.)
-- tshark, without installing it:
--   tshark -X lua_script:wsclose.lua -r annotated.pcapng -z expert,warn -q
--   wsclose annotate capture.pcap -w - | wireshark -X lua_script:wsclose.lua -k -i -
--
-- A comment reads `wsclose #ID [STATUS] LEVEL: TEXT`: the connection's id (as `wsclose
-- analyze` numbers them), its status ("1006 Abnormal Closure", "Upgrade refused"), a level
-- (error, warning, note or chat) and one fact. wsclose decides the level: the diagnosis on
-- the deciding packet of a connection that failed (1006, 1011, 1014, 1015, an upgrade
-- refused) is an error, of another problem a warning, of a clean close (1000 or 1001 with
-- nothing to fix) a note; a protocol violation is a warning; the rest of a problem's
-- diagnosis (its evidence, the application's words) a note; the handshake, the close
-- frames and the endings chat. A fact too long for one line of Wireshark's packet details
-- (240 bytes) is split at its sentences into several comments, each ending "(k/n)": each
-- part is an item of the tree, and the fact one Expert Info entry, on its first part (a
-- failed connection is one entry under Errors, however long its diagnosis).
-- Comments of the older form `wsclose #ID [STATUS]: TEXT` are read as chat.
--
-- Each comment becomes a `wsclose` item in the packet details, with Expert Info of its
-- level, and these fields to filter and colour on:
--   wsclose.id      the connection            (wsclose.id == 3)
--   wsclose.status  its status                (wsclose.status contains "1006")
--   wsclose.code    its close code, if any    (wsclose.code == 1006)
--   wsclose.level   the comment's level       (wsclose.level == "error")
--   wsclose.text    what the comment says     (wsclose.text contains "proxy")
-- e.g. View > Colouring Rules: `wsclose.level == "error" || wsclose.level == "warning"`.
-- Nothing here reads the packets themselves: only wsclose's comments.

local proto = Proto("wsclose", "wsclose diagnosis")

local f_id = ProtoField.uint64("wsclose.id", "Connection")
local f_status = ProtoField.string("wsclose.status", "Status")
local f_code = ProtoField.uint16("wsclose.code", "Close code")
local f_level = ProtoField.string("wsclose.level", "Level")
local f_text = ProtoField.string("wsclose.text", "Says")
proto.fields = { f_id, f_status, f_code, f_level, f_text }

local group = expert.group
local severity = expert.severity
local e_error = ProtoExpert.new("wsclose.error", "wsclose: the connection failed",
    group.PROTOCOL, severity.ERROR)
local e_warning = ProtoExpert.new("wsclose.warning", "wsclose: a problem",
    group.PROTOCOL, severity.WARN)
local e_note = ProtoExpert.new("wsclose.note", "wsclose: the diagnosis",
    group.PROTOCOL, severity.NOTE)
local e_chat = ProtoExpert.new("wsclose.chat", "wsclose: what happened",
    group.COMMENTS_GROUP, severity.CHAT)
proto.experts = { e_error, e_warning, e_note, e_chat }
local by_level = { error = e_error, warning = e_warning, note = e_note, chat = e_chat }

-- The packet comments' field: `frame.comment` (Wireshark 1.12 and later), `pkt_comment`
-- before it.
local ok, comment = pcall(Field.new, "frame.comment")
if not ok then
    comment = Field.new("pkt_comment")
end

-- A wsclose comment's parts, or nil for another comment.
local function parse(s)
    local id, status, level, text = s:match("^wsclose #(%d+) %[([^%]]*)%] (%a+): (.*)$")
    if id ~= nil and by_level[level] ~= nil then
        return id, status, level, text
    end
    id, status, text = s:match("^wsclose #(%d+) %[([^%]]*)%]: (.*)$")
    if id ~= nil then
        return id, status, "chat", text
    end
    return nil
end

function proto.dissector(tvb, pinfo, tree)
    for _, c in ipairs({ comment() }) do
        local s = tostring(c.value)
        local id, status, level, text = parse(s)
        if id ~= nil then
            local t = tree:add(proto, tvb(0, 0), s)
            t:add(f_id, tvb(0, 0), UInt64(tonumber(id))):set_generated()
            t:add(f_status, tvb(0, 0), status):set_generated()
            local code = status:match("^(%d+) ")
            if code ~= nil then
                t:add(f_code, tvb(0, 0), tonumber(code)):set_generated()
            end
            t:add(f_level, tvb(0, 0), level):set_generated()
            t:add(f_text, tvb(0, 0), text):set_generated()
            -- One Expert Info per fact: a fact split into parts raises it on its first
            -- part ("(1/n)", its text going on in the parts' items), not once a part.
            local part = text:match(" %((%d+)/%d+%)$")
            if part == nil or part == "1" then
                t:add_proto_expert_info(by_level[level],
                    "wsclose #" .. id .. " [" .. status .. "]: " .. text)
            end
        end
    end
end

register_postdissector(proto)
