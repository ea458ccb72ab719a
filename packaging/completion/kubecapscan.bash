# bash completion for kubecapscan(1) and its kubectl plugin name,
# kubectl-capscan.                                     -*- shell-script -*-
#
# Installed as /usr/share/bash-completion/completions/kubecapscan (and
# .../kubectl-capscan, a link to it), where bash-completion loads it on
# first use; without bash-completion, `source` it from ~/.bashrc.
# kubectl_complete-capscan (beside this file) reuses it for
# `kubectl capscan <TAB>`.
#
# The option lists follow `kubecapscan --help`; tests/e2e/test_packaging.py
# fails when they drift apart, so update both together.
# Contexts come from `kubectl config get-contexts` and namespaces from
# `kubectl get namespaces`, when kubectl is installed.

_kubecapscan_kubectl()
{
	# kubectl with the --kubeconfig/--context already on the command line
	local i args=()

	type -P kubectl >/dev/null 2>&1 || return 1
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--kubeconfig | --context)
			if ((i + 1 < COMP_CWORD)); then
				if [[ ${COMP_WORDS[i + 1]} == "=" ]] && ((i + 2 < COMP_CWORD)); then
					args+=("${COMP_WORDS[i]}=${COMP_WORDS[i + 2]}")
				else
					args+=("${COMP_WORDS[i]}=${COMP_WORDS[i + 1]}")
				fi
			fi
			;;
		esac
	done
	kubectl "${args[@]}" "$@" 2>/dev/null
}

_kubecapscan()
{
	local cur prev opt words i
	local long="--all-namespaces --allow-annotation-exemptions --baseline
		--benchmark --chunk-size --cluster-name --context --exclude-namespace
		--exec-plugins --exemptions --exit-zero --fail-on
		--field-selector --filename --help --kubeconfig --namespace --output
		--output-file --post-ca-file --post-token-file --post-url
		--probe-admission --psa-default-enforce --request-timeout
		--runtime-aware --selector --verbose --version"
	local short="-A -f -h -l -n -o -v"

	COMPREPLY=()
	_kubecapscan_files= # set when the candidates are file names
	i=$COMP_CWORD
	cur=${COMP_WORDS[i]}
	prev=
	((i > 0)) && prev=${COMP_WORDS[i - 1]}

	# COMP_WORDBREAKS splits "--opt=value" into "--opt" "=" "value", and
	# "-o json=PATH" into "-o" "json" "=" "PATH".
	if [[ $cur == "=" ]]; then
		cur=
		((i++))
	fi
	if [[ ${COMP_WORDS[i - 1]} == "=" ]] && ((i > 2)); then
		prev=${COMP_WORDS[i - 2]}
		case ${COMP_WORDS[i - 3]} in
		-o | --output)
			# -o FORMAT=PATH: the report goes to a file
			_kubecapscan_files=1
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			return 0
			;;
		esac
	fi
	opt=$prev

	case $opt in
	-o | --output)
		mapfile -t COMPREPLY < <(compgen -W "table json junit sarif prometheus policyreport" -- "$cur")
		return 0
		;;
	--benchmark)
		mapfile -t COMPREPLY < <(compgen -W "cis-1.5 cis-1.6 cis-1.20
			cis-1.23 cis-1.24 cis-1.7 cis-1.8 cis-1.9 cis-1.10 cis-1.11
			cis-1.12 cis-2.0" -- "$cur")
		return 0
		;;
	--exec-plugins)
		mapfile -t COMPREPLY < <(compgen -W "allow deny" -- "$cur")
		return 0
		;;
	--fail-on)
		mapfile -t COMPREPLY < <(compgen -W "any new" -- "$cur")
		return 0
		;;
	--psa-default-enforce)
		mapfile -t COMPREPLY < <(compgen -W "privileged baseline restricted" -- "$cur")
		return 0
		;;
	-f | --filename | --kubeconfig | --output-file | --exemptions | \
		--baseline | --post-token-file | --post-ca-file)
		_kubecapscan_files=1
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		if [[ $opt == -f || $opt == --filename ]] && [[ -z $cur || $cur == - ]]; then
			COMPREPLY+=(-)
		fi
		return 0
		;;
	--context)
		words=$(_kubecapscan_kubectl config get-contexts -o name)
		mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
		return 0
		;;
	-n | --namespace | --exclude-namespace)
		words=$(_kubecapscan_kubectl get namespaces -o name --request-timeout=5s)
		words=${words//namespace\//}
		mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
		return 0
		;;
	--chunk-size | --cluster-name | --request-timeout)
		return 0 # free text: nothing to offer
		;;
	esac

	if [[ $cur == --* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$long" -- "$cur")
	elif [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$short $long" -- "$cur")
	fi
	return 0
}

complete -F _kubecapscan kubecapscan kubectl-capscan
