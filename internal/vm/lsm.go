package vm

// LSMArg is the lsm= kernel argument both VM backends pass, so the bpf LSM
// (which `bpflab guard` needs) is active on every kernel of the matrix.
// lsm= replaces the kernel's CONFIG_LSM list, so this is the union of the
// Debian defaults plus bpf: 5.10 builds CONFIG_BPF_LSM=y but leaves bpf out
// of CONFIG_LSM ("lockdown,yama,loadpin,safesetid,integrity,apparmor,selinux,
// smack,tomoyo"); 6.1 already ends in ",bpf", 6.12 and 7.2 in ",bpf,ipe".
// Names a kernel does not build (landlock and ipe on 5.10) are ignored, and
// only the first of the exclusive LSMs (apparmor) is enabled, as by default.
const LSMArg = "lsm=landlock,lockdown,yama,loadpin,safesetid,integrity,apparmor,selinux,smack,tomoyo,bpf,ipe"
